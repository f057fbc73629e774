"""Reports: report.json, report.html and junit.xml written from one report document."""
