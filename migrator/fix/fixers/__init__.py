"""One fixer per module, registered with `@fixer(rule_id, name)`; `migrator.fix` imports every
module here on first use. Modules starting with `_` hold helpers several fixers share."""
