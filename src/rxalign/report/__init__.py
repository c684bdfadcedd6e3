"""One self-contained HTML report of a run (jinja2 template, matplotlib figures as data URIs): `build.write_report`."""
