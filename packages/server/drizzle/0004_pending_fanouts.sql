CREATE TABLE `pending_fanouts` (
	`shared_id` integer PRIMARY KEY NOT NULL,
	`first_id` integer NOT NULL,
	`received_at` integer NOT NULL,
	`head` blob NOT NULL,
	`guid_seed` blob NOT NULL,
	FOREIGN KEY (`shared_id`) REFERENCES `shared_payloads`(`id`) ON UPDATE no action ON DELETE no action
);
