"""Alerts in chat: the incoming-webhook URLs of Slack, Microsoft Teams and Google Chat, and the JSON
each of them expects.

Every URL goes through the outbound address guard (agency.netguard, by way of the webhooks'
transport) when it is saved and again when a message is posted. It must be https on the service's
own hosts; a loopback receiver is let through only where WEBHOOKS_ALLOW_LOOPBACK_TARGETS allows
it (development and tests), never in production.
"""

import ipaddress
import json
from dataclasses import dataclass

from agency.webhooks import transport
from clients.alerts.models import ChannelKind

# Microsoft's incoming webhooks: Teams connectors, and Power Automate / Logic Apps workflows.
HOSTS = {
    ChannelKind.SLACK: ("hooks.slack.com", "hooks.slack-gov.com"),
    ChannelKind.GOOGLE_CHAT: ("chat.googleapis.com",),
    ChannelKind.TEAMS: (".webhook.office.com", ".logic.azure.com", ".powerplatform.com"),
}
EXAMPLES = {
    ChannelKind.SLACK: "https://hooks.slack.com/services/T000/B000/XXXX",
    ChannelKind.GOOGLE_CHAT: "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=…&token=…",
    ChannelKind.TEAMS: "https://…webhook.office.com/webhookb2/… or a Workflows URL (…logic.azure.com)",
}
LINK_LABEL = "Open in the portal"


class ChannelRefused(ValueError):
    """The URL cannot be used for this kind of channel (the message says why)."""


@dataclass(frozen=True)
class Message:
    """What every alert message carries, before each service's formatting."""

    title: str
    text: str
    client: str
    location: str
    excerpt: str
    link: str


def _host_matches(host, allowed):
    return any(host.endswith(name) if name.startswith(".") else host == name for name in allowed)


def url_check(*, kind, url):
    """The URL, checked for ``kind`` (form, host, and every address it resolves to)."""
    try:
        target = transport.target_parse(url)
        addresses = transport.target_resolve(target)
    except transport.TargetRefused as exc:
        raise ChannelRefused(str(exc)) from None
    if all(ipaddress.ip_address(address).is_loopback for address in addresses):
        return url.strip()  # a local receiver, where loopback targets are allowed at all
    if target.scheme != "https" or not _host_matches(target.host, HOSTS[kind]):
        raise ChannelRefused(
            f"This is not a {ChannelKind(kind).label} incoming-webhook address; "
            f"it looks like {EXAMPLES[kind]}."
        )
    return url.strip()


def _slack_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(message):
    escape = _slack_escape
    fields = [{"type": "mrkdwn", "text": f"*Client*\n{escape(message.client)}"}]
    if message.location:
        fields.append({"type": "mrkdwn", "text": f"*Location*\n{escape(message.location)}"})
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(message.text)}},
        {"type": "section", "fields": fields},
    ]
    if message.excerpt:
        quoted = "\n".join(f"> {line}" for line in escape(message.excerpt).splitlines())
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quoted}})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": LINK_LABEL}, "url": message.link},
    ]})  # fmt: skip
    return {"text": f"{message.title}: {message.text} {message.link}", "blocks": blocks}


def _teams(message):
    facts = [{"title": "Client", "value": message.client}]
    if message.location:
        facts.append({"title": "Location", "value": message.location})
    body = [
        {"type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": message.text, "wrap": True},
        {"type": "FactSet", "facts": facts},
    ]
    if message.excerpt:
        body.append({"type": "TextBlock", "text": f"“{message.excerpt}”", "wrap": True, "isSubtle": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": LINK_LABEL, "url": message.link}],
    }
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None}
    return {"type": "message", "attachments": [{**attachment, "content": card}]}


def _google_chat(message):
    def plain(text):  # Google Chat reads <…> as links and mentions (<users/all>): never from our data
        return text.replace("<", "‹").replace(">", "›")

    lines = [f"*{plain(message.title)}*", plain(message.text), f"Client: {plain(message.client)}"]
    if message.location:
        lines[-1] += f" · Location: {plain(message.location)}"
    if message.excerpt:
        lines.append(f"“{plain(message.excerpt)}”")
    lines.append(f"<{message.link}|{LINK_LABEL}>")
    return {"text": "\n".join(lines)}


FORMATS = {ChannelKind.SLACK: _slack, ChannelKind.TEAMS: _teams, ChannelKind.GOOGLE_CHAT: _google_chat}


def payload(*, kind, message):
    """The JSON body ``kind``'s incoming webhook expects for ``message``."""
    return FORMATS[kind](message)


def post(*, kind, url, message):
    """Post ``message`` to the channel; a :class:`agency.webhooks.transport.Outcome` (never raises
    for network failures)."""
    body = json.dumps(payload(kind=kind, message=message), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "pulseback-portal-alerts/1"}
    return transport.post(url=url, body=body, headers=headers)
