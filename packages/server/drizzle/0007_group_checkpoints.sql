CREATE TABLE `group_checkpoints` (
	`group_id` text NOT NULL,
	`version` integer NOT NULL,
	`snapshot` text NOT NULL,
	PRIMARY KEY(`group_id`, `version`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
