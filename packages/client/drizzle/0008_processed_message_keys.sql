CREATE TABLE `processed_message_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`processed_hour` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `processed_message_keys_hour` ON `processed_message_keys` (`processed_hour`);