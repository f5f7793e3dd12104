"""Tooling for the book itself rather than for recurrent networks: :mod:`.notebook` (the
hidden set-up cell, ``glue`` and tables), :mod:`.toc` (the chapters in ``_toc.yml`` order),
:mod:`.editions` (the solution, starter and glue tags; the chapters in reading order),
:mod:`.learner_edition` (student and teacher notebooks whose prose reads finished outside the
website, ``make notebooks``; :mod:`.myst_markdown` turns the chapters' MyST into the Markdown
Jupyter renders), :mod:`.nbgrader_release` (``make nbgrader``), :mod:`.learner_site`
(the download button offers the student edition),
:mod:`.doctor` (the environment check, ``python -m rnn_lab doctor``), :mod:`.offline_site`
(a Sphinx extension: MathJax served from the site, no CDN), :mod:`.site_zip` (the site as
a zip for a class) and :mod:`.build_status` (the execution-status page). Book tooling may
import the maths and :mod:`rnn_lab.plots`; nothing else in the package imports it.
"""
