"""Everyday messages of today, written from templates, with no labels: the unlabeled part of a distillation's
transfer set (issue 32).

A student learns from its teacher only on the text it is shown (Tang et al. 2019): the 2011 corpus holds no data
allowance warnings, card alerts, delivery updates with tracking links, one-time codes or "make money from home" spam
typed on a phone, so a student distilled on it alone copies none of the teacher's judgement of them. These templates
are ours (never the robustness suite's messages, which stay held out); the teacher labels each message, and the
student reads them perturbed like the rest (spamcore.training.sampler). About a third are written to read like spam,
the rest
like the notices, plans and chat people send and receive; the label each was written as is kept
(:func:`everyday_written`): where the teacher contradicts it, the student learns that label, not the teacher's
probability (a teacher that calls a card-payment alert spam would teach the student the same mistake).

``everyday_messages(2000, seed=7)`` gives the same 2,000 messages on every machine.
"""

from __future__ import annotations

import re

import numpy as np

_SLOTS: dict[str, tuple[str, ...]] = {
    "name": ("Sam", "Priya", "Tom", "Aisha", "Leo", "Mia", "Jack", "Chloe", "Omar", "Nina", "Dan", "Zoe", "Ben",
             "Grace", "Luca", "Ella", "mum", "dad", "babe", "mate"),
    "place": ("the station", "Tesco", "the gym", "Nando's", "the library", "work", "the park", "your mum's",
              "the cinema", "the usual place", "the bus stop", "Costa", "school gates", "the car park"),
    "time": ("6", "7pm", "half 8", "10ish", "noon", "after work", "tonight", "tomorrow morning", "Saturday",
             "in 20 mins", "around 5", "after lunch"),
    "food": ("pizza", "curry", "tacos", "sushi", "pasta", "a takeaway", "chips", "noodles", "burgers"),
    "thing": ("charger", "keys", "umbrella", "jumper", "headphones", "wallet", "laptop", "book", "jacket"),
    "network": ("Vodafone", "EE", "O2", "Three", "giffgaff", "Tesco Mobile", "Lyca", "Sky Mobile"),
    "bank": ("Barclays", "HSBC", "Monzo", "Lloyds", "NatWest", "Starling", "Santander", "Revolut", "Nationwide"),
    "shop": ("Amazon", "Tesco", "Boots", "Argos", "ASOS", "Sainsbury's", "Currys", "IKEA", "eBay", "Greggs"),
    "courier": ("Royal Mail", "DPD", "Evri", "DHL", "Yodel", "UPS", "Amazon Logistics", "InPost"),
    "service": ("Netflix", "Spotify", "Disney+", "Apple", "Google", "Microsoft", "PlayStation", "Uber", "Deliveroo",
                "WhatsApp", "Instagram", "Octopus Energy", "Thames Water", "the council"),
    "amount": ("2.99", "4.50", "12.40", "19.99", "34.00", "56.20", "7.85", "120.00", "9.99", "64.99", "3.20"),
    "pct": ("75", "80", "90", "100", "50"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "tomorrow", "today"),
    "code": ("482913", "1937", "550281", "77412", "903366", "2846", "618204", "3391"),
    "digits4": ("4417", "2210", "9981", "0653", "7124", "3308"),
    "prize": ("a free iPhone 16", "a 500 pound voucher", "a luxury cruise", "1000 in cash", "a new PS5",
              "a free holiday", "a 250 Amazon gift card", "a brand new car"),
    "money": ("2k a week", "500 a day", "300 a day", "5k a month", "£800 weekly", "1500 a week"),
    "link": ("bit.ly/3xQ9a", "tinyurl.com/claimnow", "secure-verify-account.com", "parcel-redelivery.info",
             "gov-refund-portal.net", "my-rewards-centre.co", "tx-check.online", "wa.me/447700900123"),
    "doctor": ("Dr Patel", "the surgery", "the dentist", "the opticians", "the physio", "the clinic"),
    "subject": ("maths", "the science project", "PE kit", "the school trip", "parents evening", "homework"),
}

#: (template, written to read like spam): the teacher's label decides; this flag only balances the mix.
_TEMPLATES: tuple[tuple[str, bool], ...] = (
    # chat and plans
    ("hey {name} are we still on for {time}?", False),
    ("running 10 mins late, save me a seat", False),
    ("can you grab milk on the way back pls", False),
    ("left my {thing} at yours, will get it {day}", False),
    ("fancy {food} tonight? my treat", False),
    ("meet you at {place} at {time}", False),
    ("omg did you see what happened at {place} lol", False),
    ("happy birthday {name}!! have the best day xx", False),
    ("thanks for today, really needed that", False),
    ("just landed, call you when I'm through security", False),
    ("can't talk now, in a meeting. ring you after", False),
    ("who's bringing the {food} on {day}?", False),
    ("the train is cancelled again, getting the bus instead", False),
    ("did you remember to feed the cat", False),
    ("congrats on the new job!! so proud of you", False),
    ("I won the pub quiz last night haha, 20 quid prize", False),
    ("free tonight? thinking {food} and a film", False),
    ("reply when you can, no rush", False),
    ("{name} says hi, we're at {place}", False),
    ("is {subject} due {day}? can't find the sheet", False),
    # notices and alerts people do want
    ("{network}: you've used {pct}% of your data allowance. Add more in the app or wait for your new allowance on "
     "the 1st", False),
    ("{network}: your bill of £{amount} is ready and will be taken by direct debit on {day}", False),
    ("{bank}: a payment of £{amount} to {shop} was made with your card ending {digits4}. Not you? Call the number on "
     "the back of your card", False),
    ("{bank}: your salary has arrived. Your balance is available in the app", False),
    ("Your {shop} order has been dispatched and arrives {day}. Track it in the {shop} app", False),
    ("{courier}: good news, your delivery is on its way and due {day}, the driver will text a 1 hour window in the "
     "morning", False),
    ("{courier}: we delivered your parcel to your safe place. Photo in the app", False),
    ("Use {code} to finish signing in to {service}. It expires in 10 minutes", False),
    ("{code} is your {service} login code. If you didn't ask for it, ignore this message", False),
    ("Reminder: your appointment with {doctor} is on {day} at {time}. Reply C to cancel", False),
    ("{doctor}: your repeat medication is ready, pick up any time after 2pm", False),
    ("{service}: your subscription renews on {day} for £{amount}. Manage it in your account settings", False),
    ("You've earned 250 points with your {shop} card. They're added to your balance automatically", False),
    ("{shop}: your refund of £{amount} has been processed and will reach your account in 3-5 days", False),
    ("School: {subject} letters went home today, please check bags", False),
    ("Your Uber is arriving in 3 minutes, look for the grey Toyota", False),
    ("Thames Water: planned work on {day} may cause low pressure between 9am and 3pm", False),
    ("{service}: new sign-in on a Windows device. If this was you, you can ignore this message", False),
    ("Your {network} contract ends next month. See upgrade options in the app", False),
    ("Table for 4 booked at 7:30 on {day}. Reply STOP to opt out of reminders", False),
    # spam, typed and templated
    ("want to earn {money} from home? dm me for details", True),
    ("looking for people to do simple tasks online, paid daily {money}, dm me", True),
    ("Congratulations! You have won {prize}. Claim now at {link}", True),
    ("you've been selected for {prize}!! reply YES to claim", True),
    ("{courier}: your parcel could not be delivered. Pay the £1.45 redelivery fee at {link}", True),
    ("{bank}: your account has been suspended due to unusual activity. Verify your details at {link}", True),
    ("{service}: your payment failed. Update your billing information within 24 hours at {link} or lose access",
     True),
    ("HMRC: you are due a tax refund of £{amount}. Claim it here {link}", True),
    ("it's {name}, my phone got stolen so this is my temporary number, can you help me with something urgent", True),
    ("Hi is that {name}'s number? got it from a friend, I'm new in town and would love to chat", True),
    ("Invest £250 in bitcoin and get £5000 back in a week, guaranteed. Join {link}", True),
    ("Hiring now: part-time online job, 1-2 hours a day, {money}. Message our recruiter {link}", True),
    ("Enter our prize draw today for {prize}, text DRAW to 80082. 18+ only", True),
    ("URGENT: your {network} account will be closed today. Confirm your identity now: {link}", True),
    ("You have an unpaid toll charge. Pay £{amount} now to avoid a penalty: {link}", True),
    ("Your loan of £5000 is pre-approved, no credit checks. Reply YES to get the cash today", True),
    ("lonely tonight? chat with local girls now {link}", True),
    ("Your {shop} account has been locked. Click {link} to restore it", True),
    ("Last chance! Your {prize} is waiting, only 2 left. Call 09061743810 now", True),
    ("dear customer, you won cash prize pls send your bank details to receive it", True),
)

_SLOT = re.compile(r"\{(\w+)\}")


def everyday_messages(n: int = 2000, seed: int = 7) -> list[str]:
    """``n`` messages filled from the templates (spam-like ones about a third), repeatable by ``seed``; each
    distinct text at most once."""
    return [text for text, _ in everyday_written(n, seed)]


def everyday_written(n: int = 2000, seed: int = 7) -> list[tuple[str, int]]:
    """:func:`everyday_messages` with the label each was written as (1: written to read like spam)."""
    rng = np.random.default_rng(seed)
    spam = [t for t, s in _TEMPLATES if s]
    ham = [t for t, s in _TEMPLATES if not s]
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    tries = 0
    while len(out) < n and tries < 20 * n:
        tries += 1
        is_spam = rng.random() < 1 / 3
        pool = spam if is_spam else ham
        template = pool[rng.integers(len(pool))]
        text = _SLOT.sub(lambda m: str(rng.choice(_SLOTS[m.group(1)])), template)
        if rng.random() < 0.15:  # typed on a phone: all lower case, no final full stop
            text = text.lower().rstrip(".")
        if text not in seen:
            seen.add(text)
            out.append((text, int(is_spam)))
    return out
