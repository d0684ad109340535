"""DingTalk as Gendan's second platform (docs/dingtalk.md).

The handlers speak python-telegram-bot. Here DingTalk's Stream frames become PTB ``Update``s
for the same Application, and the Bot API calls the bot makes become DingTalk OpenAPI calls
in a PTB request class, with DingTalk's refusals answered as the Bot API answers the same
situation, so the outbox's delivery rules apply unchanged.
"""
