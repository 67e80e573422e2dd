CREATE TABLE `alert_responses` (
	`group_id` text NOT NULL,
	`alert_id` text NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`note` text,
	`sent_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `alert_id`, `account_id`, `kind`)
);
--> statement-breakpoint
CREATE INDEX `alert_responses_sent_at` ON `alert_responses` (`sent_at`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`group_id` text NOT NULL,
	`alert_id` text NOT NULL,
	`observed_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`record` text NOT NULL,
	PRIMARY KEY(`group_id`, `alert_id`)
);
--> statement-breakpoint
CREATE INDEX `alerts_expires_at` ON `alerts` (`expires_at`);--> statement-breakpoint
CREATE TABLE `group_sender_keys` (
	`group_id` text PRIMARY KEY NOT NULL,
	`distribution_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`devices` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `send_log` (
	`group_id` text NOT NULL,
	`sent_at` integer NOT NULL,
	`distribution_id` text NOT NULL,
	`content` text NOT NULL,
	`created_at` integer NOT NULL,
	`resends` integer NOT NULL,
	PRIMARY KEY(`group_id`, `sent_at`)
);
--> statement-breakpoint
CREATE INDEX `send_log_created_at` ON `send_log` (`created_at`);