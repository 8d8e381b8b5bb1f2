"""A member of staff's own pages: signing in and out, the second factor, idle time-out, the home page
their role opens and the centers they work at.

They sit above ``accounts`` (who a member of staff is), ``clinics`` (where they work and what their
roles allow) and ``audit`` (every sign-in is recorded), which is why they are not in any of them.
"""
