ALTER TABLE `alerts` ADD `sent_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `alerts_sent_at` ON `alerts` (`group_id`,`sent_at`);