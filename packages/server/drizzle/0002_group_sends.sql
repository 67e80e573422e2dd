CREATE TABLE `shared_payloads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`content` blob NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `shared_payloads_expires_at` ON `shared_payloads` (`expires_at`);--> statement-breakpoint
ALTER TABLE `messages` ADD `shared_id` integer REFERENCES shared_payloads(id);--> statement-breakpoint
CREATE INDEX `messages_shared_id` ON `messages` (`shared_id`);