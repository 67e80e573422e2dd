CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`identity_key` blob NOT NULL,
	`created_day` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `devices` (
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`registration_id` integer NOT NULL,
	`auth_salt` blob NOT NULL,
	`auth_hash` blob NOT NULL,
	`last_seen_day` integer NOT NULL,
	`dropped_count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`account_id`, `device_id`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `ec_prekeys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`key_id` integer NOT NULL,
	`public_key` blob NOT NULL,
	FOREIGN KEY (`account_id`,`device_id`) REFERENCES `devices`(`account_id`,`device_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ec_prekeys_device_key` ON `ec_prekeys` (`account_id`,`device_id`,`key_id`);--> statement-breakpoint
CREATE TABLE `kyber_last_resort` (
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`key_id` integer NOT NULL,
	`public_key` blob NOT NULL,
	`signature` blob NOT NULL,
	PRIMARY KEY(`account_id`, `device_id`),
	FOREIGN KEY (`account_id`,`device_id`) REFERENCES `devices`(`account_id`,`device_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `kyber_prekeys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`key_id` integer NOT NULL,
	`public_key` blob NOT NULL,
	`signature` blob NOT NULL,
	FOREIGN KEY (`account_id`,`device_id`) REFERENCES `devices`(`account_id`,`device_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `kyber_prekeys_device_key` ON `kyber_prekeys` (`account_id`,`device_id`,`key_id`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`guid` text NOT NULL,
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`received_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`content` blob NOT NULL,
	FOREIGN KEY (`account_id`,`device_id`) REFERENCES `devices`(`account_id`,`device_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_device_guid` ON `messages` (`account_id`,`device_id`,`guid`);--> statement-breakpoint
CREATE INDEX `messages_device_id` ON `messages` (`account_id`,`device_id`,`id`);--> statement-breakpoint
CREATE INDEX `messages_expires_at` ON `messages` (`expires_at`);--> statement-breakpoint
CREATE TABLE `registration_tokens` (
	`hash` text PRIMARY KEY NOT NULL,
	`uses_left` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `signed_prekeys` (
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`key_id` integer NOT NULL,
	`public_key` blob NOT NULL,
	`signature` blob NOT NULL,
	PRIMARY KEY(`account_id`, `device_id`),
	FOREIGN KEY (`account_id`,`device_id`) REFERENCES `devices`(`account_id`,`device_id`) ON UPDATE no action ON DELETE cascade
);
