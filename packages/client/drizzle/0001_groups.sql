CREATE TABLE `groups` (
	`group_id` text PRIMARY KEY NOT NULL,
	`master_key` blob NOT NULL,
	`status` text NOT NULL,
	`version` integer NOT NULL,
	`head_hash` text NOT NULL,
	`state` text NOT NULL,
	`invite_password` text
);
