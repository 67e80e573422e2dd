-- Alerts stored before the retention column: their send time is in the JSON record (docs/alerts.md "Retention").
UPDATE `alerts` SET `sent_at` = coalesce(json_extract(`record`, '$.sentAt'), `observed_at`);
