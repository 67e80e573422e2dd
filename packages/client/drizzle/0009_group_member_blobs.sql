CREATE TABLE `group_member_blobs` (
	`group_id` text NOT NULL,
	`member` text NOT NULL,
	`profile` text,
	`proof` text,
	PRIMARY KEY(`group_id`, `member`)
);
--> statement-breakpoint
-- States stored before this table held each member's blobs inside the JSON: move them out (stores/member-blobs.ts).
INSERT OR IGNORE INTO `group_member_blobs` (`group_id`, `member`, `profile`, `proof`)
  SELECT g.`group_id`, m.`key`, json_extract(m.`value`, '$.profile'), json_extract(m.`value`, '$.proof')
  FROM `groups` g, json_each(g.`state`, '$.members') m
  WHERE json_extract(m.`value`, '$.profile') IS NOT NULL OR json_extract(m.`value`, '$.proof') IS NOT NULL;
--> statement-breakpoint
INSERT OR IGNORE INTO `group_member_blobs` (`group_id`, `member`, `profile`, `proof`)
  SELECT g.`group_id`, p.`key`, json_extract(p.`value`, '$.profile'), json_extract(p.`value`, '$.proof')
  FROM `groups` g, json_each(g.`state`, '$.pending') p
  WHERE json_extract(p.`value`, '$.profile') IS NOT NULL OR json_extract(p.`value`, '$.proof') IS NOT NULL;
--> statement-breakpoint
UPDATE `groups` SET `state` = json_set(`state`,
  '$.members', json((SELECT json_group_object(m.`key`, json_remove(m.`value`, '$.profile', '$.proof')) FROM json_each(`groups`.`state`, '$.members') m)),
  '$.pending', json((SELECT json_group_object(p.`key`, json_remove(p.`value`, '$.profile', '$.proof')) FROM json_each(`groups`.`state`, '$.pending') p)));
