CREATE TABLE `identities` (
	`account_id` text PRIMARY KEY NOT NULL,
	`public_key` blob NOT NULL,
	`verified` text NOT NULL,
	`first_seen_at` integer NOT NULL,
	`changed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `kyber_pre_key_uses` (
	`kyber_pre_key_id` integer NOT NULL,
	`signed_pre_key_id` integer NOT NULL,
	`base_key` blob NOT NULL,
	PRIMARY KEY(`kyber_pre_key_id`, `signed_pre_key_id`, `base_key`)
);
--> statement-breakpoint
CREATE TABLE `kyber_pre_keys` (
	`id` integer PRIMARY KEY NOT NULL,
	`record` blob NOT NULL,
	`last_resort` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `kyber_pre_keys_last_resort` ON `kyber_pre_keys` (`last_resort`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `pre_keys` (
	`id` integer PRIMARY KEY NOT NULL,
	`record` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `processed_envelopes` (
	`guid` text PRIMARY KEY NOT NULL,
	`processed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `processed_envelopes_at` ON `processed_envelopes` (`processed_at`);--> statement-breakpoint
CREATE TABLE `processed_messages` (
	`sender` text NOT NULL,
	`device` integer NOT NULL,
	`sent_at` integer NOT NULL,
	`processed_at` integer NOT NULL,
	PRIMARY KEY(`sender`, `device`, `sent_at`)
);
--> statement-breakpoint
CREATE INDEX `processed_messages_at` ON `processed_messages` (`processed_at`);--> statement-breakpoint
CREATE TABLE `sender_keys` (
	`sender` text NOT NULL,
	`distribution_id` text NOT NULL,
	`record` blob NOT NULL,
	PRIMARY KEY(`sender`, `distribution_id`)
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`record` blob NOT NULL,
	PRIMARY KEY(`account_id`, `device_id`)
);
--> statement-breakpoint
CREATE TABLE `signed_pre_keys` (
	`id` integer PRIMARY KEY NOT NULL,
	`record` blob NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `unprocessed` (
	`guid` text PRIMARY KEY NOT NULL,
	`server_timestamp` integer NOT NULL,
	`content` text NOT NULL,
	`received_at` integer NOT NULL
);
