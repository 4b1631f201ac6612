"""The service's words in zh-CN (first) and English, kept as data in ``locales/*.toml``: the pages' texts
(``catalogue``), the names of codes (``labels``: statuses, roles, problem types...) and the reader's half of a
bilingual certificate label (``catalogue.in_language``). Every layer uses them: the pages, the report PDF, the
consumer API, the evidence package, so they live beside the domains, not inside ``web``."""
