ALTER TABLE `group_invites` ADD `signing_key` text;--> statement-breakpoint
ALTER TABLE `group_members` ADD `signing_key` text;--> statement-breakpoint
ALTER TABLE `group_pending` ADD `signing_key` text;