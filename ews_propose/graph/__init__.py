"""The Microsoft Graph REST surface (``/v1.0/``): a second adapter onto the meeting rules.

One module per resource (users, events, event actions, messages, calendars, schedule);
``app.py`` holds the Falcon application, auth and errors. No meeting rule lives here.
"""
