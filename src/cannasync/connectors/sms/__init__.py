"""An SMS gateway for the loyalty program's double opt-in: send a text, verify and read the replies.

The wire format is the local sandbox's (``cannasync.sandboxes.sms``): a bearer key to send, replies posted to us
signed with an HMAC. A real provider is another connector implementing ``SmsGateway``.
"""
