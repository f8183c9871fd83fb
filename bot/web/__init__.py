"""The reform office's web console: one more caller of the same services as the bot.

Starlette + Jinja2 server-rendered pages and a little htmx (vendored in static/, no build
step): the pages are lists and forms, which HTML does well on a 360-px phone and in
Telegram's in-app browser. Served by `nhacviec run` itself (bot/web/server.py).
"""
