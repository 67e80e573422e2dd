CREATE TABLE `alert_tombstones` (
	`group_id` text NOT NULL,
	`alert_id` text NOT NULL,
	`kind` text NOT NULL,
	`by_account` text NOT NULL,
	`by_device` integer NOT NULL,
	`reason` text,
	`at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `alert_id`, `kind`, `by_account`)
);
--> statement-breakpoint
CREATE INDEX `alert_tombstones_by` ON `alert_tombstones` (`group_id`,`by_account`,`at`);--> statement-breakpoint
CREATE INDEX `alert_tombstones_expires_at` ON `alert_tombstones` (`expires_at`);