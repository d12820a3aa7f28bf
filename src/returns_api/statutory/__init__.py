"""The statutory right of withdrawal (EU Consumer Rights Directive 2011/83/EU): the rules a
commercial return policy sits on top of and may extend but never cut short. docs/withdrawal.md
names the article behind each behaviour."""
