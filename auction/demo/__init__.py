"""The embedded demo: realistic (fictional) courts, cases, lots and rounds in every status.

`data` holds the content, `plan` turns each lot's story into lawful dates relative to "now",
`loader` replays the stories through auction.services under a frozen clock, `images` draws the
photos and `documents` writes the PDFs. `python manage.py load_demo` is the entry point."""
