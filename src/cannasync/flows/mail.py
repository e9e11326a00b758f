"""Handing a message to an organization's SMTP server: operators' notifications and shoppers' order e-mails.

The standard library's ``smtplib`` (nothing to add). The server's own words go into the error, never the password
(smtplib does not put it in its errors).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from cannasync.store.incidents import Channels

#: How long one delivery may take before it counts as failed and is retried.
SEND_TIMEOUT = 15.0


class NotSent(Exception):
    """The channel refused or could not be reached; the outbox tries again later."""


class MailRefused(NotSent):
    """The mail server refused every recipient: sending the same message again will not help."""


def send_mail(channels: Channels, mail: EmailMessage) -> None:
    """Hand one message to the organization's SMTP server (operators' notifications and shoppers' order e-mails)."""
    try:
        if channels.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                channels.smtp_host, channels.smtp_port, timeout=SEND_TIMEOUT, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(channels.smtp_host, channels.smtp_port, timeout=SEND_TIMEOUT)
        with client:
            if channels.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if channels.smtp_username:
                client.login(channels.smtp_username, channels.smtp_password)
            client.send_message(mail)
    except smtplib.SMTPRecipientsRefused as error:
        answers = list(error.recipients.values())
        said = "; ".join(f"{code} {reply.decode(errors='replace')[:100]}" for code, reply in answers)
        # A 5xx is the server's final word on the address (RFC 5321 §4.2.1); a 4xx (a greylist, a full mailbox)
        # may pass later.
        if answers and all(code >= 500 for code, _ in answers):
            raise MailRefused(f"e-mail refused for its address: {said}") from None
        raise NotSent(f"e-mail not sent yet: {said}") from None
    except (OSError, smtplib.SMTPException) as error:
        # The server's words, never the password (smtplib does not put it in its errors).
        raise NotSent(f"e-mail not sent: {error.__class__.__name__}: {str(error)[:200]}") from None
