"""The local web page: the same library behind a browser, on the home server (issue 17).

``callwatch web`` (or the daemon with ``[web] enabled = true``) serves it; app.py holds the routes,
auth.py who may use it, tasks.py the long work in child processes, svg.py the charts, words.py the
page's own words. Templates and static files ship inside this package: nothing is fetched at run time.
"""
