CREATE TABLE `group_banned` (
	`group_id` text NOT NULL,
	`member` text NOT NULL,
	PRIMARY KEY(`group_id`, `member`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `group_changes` (
	`group_id` text NOT NULL,
	`version` integer NOT NULL,
	`body` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `version`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `group_invites` (
	`group_id` text NOT NULL,
	`invite_id` text NOT NULL,
	`issuer` text NOT NULL,
	`password_hash` blob NOT NULL,
	`expires_at` integer NOT NULL,
	`max_uses` integer NOT NULL,
	`uses` integer NOT NULL,
	`role` text NOT NULL,
	`require_approval` integer NOT NULL,
	`revoked` integer NOT NULL,
	`sealed` blob NOT NULL,
	PRIMARY KEY(`group_id`, `invite_id`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `group_invites_password` ON `group_invites` (`group_id`,`password_hash`);--> statement-breakpoint
CREATE TABLE `group_members` (
	`group_id` text NOT NULL,
	`member` text NOT NULL,
	`role` text NOT NULL,
	`invite_id` text,
	`profile` blob,
	PRIMARY KEY(`group_id`, `member`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `group_pending` (
	`group_id` text NOT NULL,
	`member` text NOT NULL,
	`invite_id` text NOT NULL,
	`profile` blob NOT NULL,
	PRIMARY KEY(`group_id`, `member`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `groups` (
	`id` text PRIMARY KEY NOT NULL,
	`public_params` blob NOT NULL,
	`version` integer NOT NULL,
	`attributes` blob NOT NULL,
	`members_can_invite` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `accounts` ADD `auth_credential_salt` blob;