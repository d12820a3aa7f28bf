"""The withdrawal function (Directive 2011/83/EU, Article 11a): a statement, a separate
confirmation, and the immutable record of both, exportable as JSON and PDF."""
