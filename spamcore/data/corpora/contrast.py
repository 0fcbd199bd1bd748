"""Contrast pairs: messages that share a scam's topic and differ in what they ask of the reader (issue 38).

A model trained on scams and everyday chat learns the scam's *words* — parcel fee, suspended, prize, new number — and
calls every message that mentions them spam: the friend who warns about a fake redelivery text, the bank's own "we
will never ask for your PIN", the son whose number really changed. Contrast sets (Gardner et al. 2020) and
counterfactually augmented data (Kaushik et al. 2020) teach the difference by showing both sides of the line with as
few words changed as the language allows. Every pair here holds

- a **live scam** with its ask — pay or confirm at a link, *or with no link at all*: reply with your details, call us
  back, text a keyword, send money to this account — labelled spam;
- a **ham** on the same topic that asks nothing of the kind: it reports, quotes, warns about, asks about or jokes
  about the scam ("got a text saying … is this fake?", "blocked it", "we will never ask you to …", a school's
  warning), or it is the legitimate message the scam imitates (a real new number without a request for money, money
  between family without the pressure).

Families follow the bundled supplement: parcel and customs fees; bank, tax, licence and toll; prizes; crypto and
jobs; hi-mum and new-number; romance openers; account locks. The templates and slots are spamcore's own (MIT).
``contrast_pairs(seed=11)`` gives the same pairs on every machine; ``bundled:contrast`` (spamcore.data.corpora) reads
them
as labelled training data, ham and spam in equal numbers. None is equal to a message of the SMS Spam Collection's
test split, nor close to a message of the held-out suites (tests/test_contrast.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_SLOTS: dict[str, tuple[str, ...]] = {
    "courier": ("Royal Mail", "DPD", "Evri", "DHL", "Yodel", "UPS", "Parcelforce", "FedEx", "InPost", "USPS"),
    "fee": ("1.99", "2.49", "1.45", "3.20", "0.99", "2.99", "4.10"),
    "bank": ("Barclays", "HSBC", "Monzo", "Lloyds", "NatWest", "Halifax", "Santander", "Chase", "Nationwide",
             "Starling", "Metro Bank", "TSB"),
    "agency": ("HMRC", "the DVLA", "the tax office", "TV Licensing", "the council", "the IRS", "DVSA"),
    "toll": ("the Dart Charge", "the toll road", "the congestion charge", "the ULEZ", "E-ZPass", "the bridge toll"),
    "prize": ("an iPhone 16", "a £500 voucher", "a cruise for two", "£1,000 cash", "a PS5", "a weekend in Paris",
              "a £250 gift card", "a new car", "a year of free shopping"),
    "brand": ("Tesco", "Amazon", "Asda", "Lidl", "Boots", "Argos", "Costco", "Aldi"),
    "coin": ("bitcoin", "crypto", "ethereum", "a crypto bot", "an AI trading app", "USDT"),
    "money": ("£300 a day", "£2k a week", "£150 an hour", "£5k a month", "£800 a week"),
    "job": ("liking videos", "rating hotels", "reviewing products", "simple online tasks", "boosting app downloads"),
    "service": ("Netflix", "Amazon", "Apple ID", "PayPal", "Microsoft", "WhatsApp", "Instagram", "eBay", "Spotify",
                "your email", "Facebook"),
    "kin": ("mum", "dad", "nan", "grandad", "auntie", "Mum", "Dad", "son", "sis", "bro", "grandma", "love",
            "Uncle Pete", "Auntie Sue"),
    "why_new": ("got a new contract", "my old phone died", "work gave me a phone", "I switched networks",
                "the screen smashed", "I finally upgraded"),
    "friend": ("Jo", "Kemi", "Raj", "Hannah", "Callum", "Fatima", "Owen", "Maya", "Theo", "Ruth", "Kofi", "Isla"),
    "amount": ("£85", "£240", "£460", "£1,250", "£180", "£95", "£600", "£320"),
    "small": ("£10", "£20", "£15", "£25", "£30", "£5", "£40"),
    "reason": ("a new phone", "the broken screen", "the landlord", "a bill that's due today", "the car repair",
               "the rent"),
    "errand": ("the school trip", "petrol", "the cinema", "lunch money", "the bus pass", "the birthday present"),
    "keyword": ("YES", "CLAIM", "WIN", "GO", "START", "CASH", "PRIZE"),
    "shortcode": ("80082", "62020", "88600", "87121", "69911"),
    "phone": ("0800 046 2113", "0330 912 4457", "020 3966 1180", "0161 850 2214", "+44 7700 900 418",
              "0845 602 1739"),
    "link": ("bit.ly/4redeliv", "royalmail-fee.info", "parcel-update.co", "secure-banking-check.com",
             "gov-refund-claim.net", "claim-your-prize.online", "tinyurl.com/verify-acc", "account-restore.help",
             "toll-pay-online.com", "coinprofit.live", "tasks-pay.work", "wa.me/447700900563"),
    "opener": ("hey", "omg", "fyi", "heads up", "just so you know", "lol", "ugh", "hiya", "morning"),
    "pet": ("babe", "love", "hun", "sweetheart"),
    "meet": ("the park", "dinner", "coffee", "drinks", "the gym"),
}


@dataclass(frozen=True)
class Family:
    """One scam family: what the scam asks (``scams``, with ``{ask}`` where the ask goes) and the ham that shares its
    topic without the ask (``hams``; ``{quote}`` quotes the scam's hook, the part people repeat)."""

    name: str
    hooks: tuple[str, ...]  # the scam's claim, shared by both sides of a pair
    asks: tuple[str, ...]  # the scam's request: with a {link} and without one
    hams: tuple[str, ...]  # the same topic, reported, quoted, warned about, asked about, or the legitimate message
    # ({hook}: the scam's own claim with a harmless ask after it, the smallest edit)


# The asks every family may use besides its own: the four shapes of a link-less scam (reply with details, call us
# back, text a keyword, send money), and the link.
_LINK_ASKS = ("Pay now at {link}", "Confirm your details at {link}", "Sort it today: {link}", "Act now via {link}")
_REPLY_ASKS = ("Reply with your full name, address and card number to sort it", "Reply with your card details today",
               "Reply with your date of birth and sort code to confirm", "Text back your card number and expiry")
_CALL_ASKS = ("Call us back on {phone} today", "Ring {phone} now to resolve this",
              "Call {phone} urgently, quoting your reference")

FAMILIES: tuple[Family, ...] = (
    Family(
        "parcel and customs fees",
        hooks=("{courier}: your parcel is on hold until a {fee} redelivery fee is paid",
               "{courier}: we could not deliver your parcel, a {fee} fee is due",
               "Your parcel is held at customs, an import charge of {fee} is outstanding",
               "{courier}: your package is waiting, the address was incomplete and a {fee} fee applies"),
        asks=(*_LINK_ASKS, *_REPLY_ASKS, *_CALL_ASKS, "Text your card number to this number to release it",
              "Reply PAY and we'll send the payment details"),
        hams=("{opener} got a text saying \"{quote}\" - it's fake isn't it? I'm not expecting anything",
              "{opener} careful, there's a fake {courier} text going round about a {fee} fee. Don't pay it",
              "is this real? \"{quote}\" I haven't ordered anything",
              "blocked that number, it was the {courier} fee scam again",
              "{courier} never asks for a redelivery fee by text. If you get one, forward it to 7726 and delete it",
              "my nan nearly paid that {fee} parcel fee text, had to tell her it's a scam",
              "reported the {courier} fee text like the news said, then deleted it",
              "haha got the \"{quote}\" one again, third this week, straight in the bin",
              "{courier}: your parcel was delivered to your neighbour at number 12 today",
              "{courier}: your parcel will arrive tomorrow between 10:00 and 11:00. No action needed",
              "did you order something from {courier}? a parcel came for you, it's on the stairs",
              "the customs charge on my order was real in the end, paid it on the official site, not the text",
              ),
    ),
    Family(
        "bank, tax, licence and toll",
        hooks=("{bank}: a new payee was added to your account and a payment of {amount} is pending",
               "{bank}: your card has been frozen after unusual activity",
               "{agency}: you are due a tax refund of {amount}",
               "{agency}: your vehicle tax has not been paid and your licence will be suspended",
               "You have an unpaid charge on {toll}, a penalty will be added",
               "{agency}: your TV licence payment failed and cover ends today"),
        asks=(*_LINK_ASKS, *_REPLY_ASKS, *_CALL_ASKS, "Reply with your online banking code to cancel it",
              "Move your money to the safe account we send you to protect it"),
        hams=("{bank} will never ask you to move money to a safe account or to share a code by text. If a message "
              "asks, it is a scam: call the number on the back of your card",
              "{opener} got one of those \"{quote}\" texts. Rang {bank} on the number on my card, they said it's fake",
              "is this legit? \"{quote}\" looks dodgy to me",
              "{agency} doesn't text about refunds. Forwarded it to 7726 and deleted it",
              "my dad got the \"{quote}\" text and nearly replied, told him to block it",
              "reported the {agency} refund text to the police fraud line like they said at the bank",
              "lol I don't even have a car and got the {toll} penalty text",
              "{bank}: you paid {amount} to British Gas today. No action needed",
              "{agency}: your vehicle tax is paid, thank you. No need to reply",
              "paid the {toll} charge on the official site, not the link in the text",
              "school newsletter: beware of texts claiming to be from {agency}. Never share bank details by message",
              "{bank}: we've sent your new card. It arrives in 3 to 5 working days",
              ),
    ),
    Family(
        "prizes",
        hooks=("Congratulations, you have won {prize}", "You've been selected to receive {prize}",
               "{brand} is giving away {prize} to loyal customers and your number was picked",
               "Final notice: your {prize} is unclaimed"),
        asks=(*_LINK_ASKS, "Reply {keyword} to claim it", "Text {keyword} to {shortcode} to claim",
              "Call {phone} to arrange delivery", "Reply with your address and card for the small delivery fee"),
        hams=("{opener} got a text saying \"{quote}\" haha yeah right, deleted",
              "is \"{quote}\" real or a scam? never entered anything",
              "{brand} isn't giving away {prize}, it's a scam going round. Don't click",
              "I actually won {prize} in the work raffle, picked it up today!",
              "blocked the \"{quote}\" number, they text every week",
              "my mum thinks she won {prize} from a text, help me explain it's fake",
              "the quiz night prize was {prize}, we came second though",
              "reported that prize text and deleted it like you said",
              "you've won nothing lol, that prize text is fake, ignore it",
              "{brand}: your receipt for today's shop. Thanks for shopping with us",
              ),
    ),
    Family(
        "crypto and jobs",
        hooks=("Earn {money} from home by {job}", "Invest in {coin} today and double your money in a week",
               "Our {coin} group made members {amount} yesterday",
               "We are hiring for {job}, flexible hours, {money}"),
        asks=(*_LINK_ASKS, "Reply JOB and our recruiter will message you", "Send {amount} to start earning today",
              "Message us on WhatsApp to join", "Reply with your bank details to get paid"),
        hams=("{opener} got another \"{quote}\" text, how do I stop these?",
              "is \"{quote}\" a scam? sounds too good to be true",
              "the {job} thing is a scam, my cousin lost {amount} to it. Don't reply",
              "my uncle keeps sending me {coin} tips lol, told him it's a scam",
              "the careers office says real jobs never ask you to pay to start. Report texts offering {money}",
              "blocked the {coin} number, second time this week",
              "started my new job today, it's only {money} less than I hoped haha",
              "anyone know how to report these \"{quote}\" texts?",
              "watched a video about the {job} job scam, they make you pay first. Crazy",
              "lost {amount} on {coin} this year, never again lol",
              ),
    ),
    Family(
        "hi-mum and new number",
        hooks=("Hi {kin}, it's me, I've dropped my phone and this is my new number",
               "hey {kin} this is my new number, old phone broke",
               "{kin} it's me, new number, phone's in for repair",
               "Hi {kin}, {friend} here, {why_new} so this is my number now",
               "hiya {kin}, new number! {why_new}",
               "{kin} it's {friend}, texting from my new number, {why_new}"),
        asks=("Can you send {amount} for {reason}, I'll pay you back tomorrow",
              "I need {amount} urgently for {reason}, can you transfer it now",
              "Can you pay {amount} into this account for me today, it's urgent",
              "Please send {amount} to my friend's account, I can't log in to my banking",
              "Text me back on this number, I need a favour quickly, don't call I can't talk"),
        hams=("{hook} Save this number, the old one stops working on Friday. See you Sunday x",
              "{hook} Ring me on this one from now on, the old phone's gone in the drawer",
              "{hook} I'll call you tonight from this one so you know it's me x",
              "{hook} No money needed, just wanted you to have it. Love you x",
              "{hook} Can you save it? Speak at the weekend",
              "{hook} Delete the old one, it's going in the drawer",
              "{hook} Put this one in your contacts please, see you at {meet}",
              "{hook} Add it to the family chat when you get a sec",
              "{hook} Nothing to do, just so you have it x",
              ),
    ),
    Family(
        "hi-mum scams talked about",
        hooks=("Hi {kin}, it's me, new number, can you send {amount}",
               "hi {kin} my phone broke, this is my new number, I need money for {reason}"),
        asks=("Transfer it to this account today please", "I need it now, I'll explain later",
              "Send it to this account, sort code 20-45-77, it's urgent"),
        hams=("my {kin} got a \"{quote}\" text from someone pretending to be me, she nearly paid",
              "heads up, people are getting \"{quote}\" messages. It's not me! My number hasn't changed",
              "if you ever get \"{quote}\" it's not me, call my old number first",
              "the police are warning about hi mum texts asking for money. Always ring the old number",
              "{kin} got the hi mum scam text today, we reported it and blocked it",
              "can you send {small} for {errand} {kin}? I'll pay you back Friday, no rush",
              "thanks for the {small} {kin}, got the bus home fine x",
              "{kin} I've paid you back the {small} for {errand}, check your account x",
              ),
    ),
    Family(
        "romance openers",
        hooks=("Hi, I think I have the wrong number but you seem nice",
               "hello dear, I saw your profile and I feel we have a connection",
               "hey {pet}, sorry, is this {friend}? We met at the conference"),
        asks=("Text me back, I'd love to get to know you", "Add me on WhatsApp so we can chat more: {link}",
              "Reply so we can talk, I'm lonely tonight", "I can show you how I make money from {coin}, text me",
              "Can you buy me a {small} gift card so I can call you?"),
        hams=("got a random \"{quote}\" text lol, ignored it",
              "those wrong-number texts are a scam, they try to get you into {coin}. Don't reply",
              "is \"{quote}\" a scam? someone just texted me that",
              "hi {friend}, lovely to meet you at {meet} yesterday, same time next week?",
              "sorry wrong number! meant to text my sister",
              "blocked the \"{quote}\" number, they sent a photo too, creepy",
              "the online safety talk at school was about texts like \"{quote}\" and how they get your money",
              ),
    ),
    Family(
        "account locks",
        hooks=("{service}: your account has been locked after a sign-in from a new device",
               "{service}: your account will be deleted in 24 hours",
               "{service}: your payment failed and your account is on hold",
               "{service}: we noticed suspicious activity and suspended your account"),
        asks=(*_LINK_ASKS, *_REPLY_ASKS, *_CALL_ASKS, "Reply with the 6 digit code we just sent you",
              "Send us the code you receive to verify it's you"),
        hams=("{service} will never ask you for your password or a code by text. Don't share it with anyone",
              "{opener} got a \"{quote}\" text, checked the app and everything's fine. Fake",
              "is this real? \"{quote}\" I can log in fine",
              "my account really did get locked, reset my password in the app and it's fine now",
              "blocked and reported the fake {service} text, they're everywhere",
              "someone hacked {friend}'s {service} and is messaging everyone asking for money. Ignore it",
              "{service}: you changed your password. If this was you, you don't need to do anything",
              "your {service} code is 481 592. Don't share it with anyone",
              "IT here: a phishing text is claiming to be {service}. Don't reply, just delete it",
              ),
    ),
)

_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Pair:
    """A live scam and a ham on the same topic; ``link`` says whether the scam carries a link."""

    family: str
    spam: str
    ham: str
    link: bool


def _fill(template: str, values: dict[str, str], rng: np.random.Generator) -> str:
    def slot(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            values[name] = str(rng.choice(_SLOTS[name]))
        return values[name]

    return _SLOT.sub(slot, template)


def _sentence(hook: str) -> str:
    return hook if hook.endswith((".", "!", "?")) else hook + "."


def contrast_pairs(n: int = 800, seed: int = 11) -> list[Pair]:
    """``n`` pairs, the families in turn, each pair's slots filled once for both members (same courier, bank, fee);
    a third of the scams carry no link. Repeatable by ``seed``; each text at most once."""
    rng = np.random.default_rng(seed)
    pairs: list[Pair] = []
    seen: set[str] = set()
    tries = 0
    while len(pairs) < n and tries < 30 * n:
        family = FAMILIES[tries % len(FAMILIES)]
        tries += 1
        values: dict[str, str] = {}
        hook = _fill(str(rng.choice(family.hooks)), values, rng)
        asks = [a for a in family.asks if ("{link}" in a) == (rng.random() >= 1 / 3)] or list(family.asks)
        ask_template = str(rng.choice(asks))
        ask = _fill(ask_template, values, rng)
        spam = f"{_sentence(hook)} {ask}"
        ham_template = str(rng.choice(family.hams))
        # The ham quotes the hook as people repeat it: lower case, no full stop; or stands on its own.
        values["quote"] = hook.rstrip(".").lower() if rng.random() < 0.5 else hook.rstrip(".")
        values["hook"] = _sentence(hook)
        ham = _fill(ham_template, values, rng)
        if rng.random() < 0.15:  # typed on a phone
            ham = ham.lower()
        if spam in seen or ham in seen:
            continue
        seen.update((spam, ham))
        pairs.append(Pair(family.name, spam, ham, "{link}" in ask_template))
    return pairs


def contrast_written(n: int = 800, seed: int = 11) -> list[tuple[str, int]]:
    """The pairs as labelled messages (text, 1 for the scam, 0 for the ham), each pair's scam beside its ham."""
    return [row for pair in contrast_pairs(n, seed) for row in ((pair.spam, 1), (pair.ham, 0))]
