"""Server-rendered pages and static files for people: officers, mediators, parties on phones, courts."""
