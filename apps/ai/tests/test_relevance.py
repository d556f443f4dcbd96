"""Relevance check: 20 visitor questions against a fixture help centre (12 articles).

Each question expects its source article among the top 3 search results. The questions
are paraphrased (not copied from the articles), as visitors ask them. The hit rate is
printed (run with ``-s``) and recorded in the README's AI section; the test fails below
``MIN_HIT_RATE`` so a ranking change that hurts answers is noticed.
"""

from pathlib import Path

import pytest
from django.db import connection

from apps.ai.knowledge.search import search
from apps.ai.tests.factories import ai_tenant, indexed_document

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
MIN_HIT_RATE = 0.9
QUESTIONS = [
    ("How many days does delivery take?", "shipping.md"),
    ("Is shipping free?", "shipping.md"),
    ("Do you deliver to Switzerland?", "shipping.md"),
    ("How do I send back shoes I don't like?", "returns.md"),
    ("When will I get my money back after a return?", "returns.md"),
    ("Can I pay with PayPal?", "payments.md"),
    ("Can I pay in instalments?", "payments.md"),
    ("I forgot my password", "account.md"),
    ("How can I delete my account and personal data?", "account.md"),
    ("Which size should I pick between two sizes?", "sizing.md"),
    ("My sole came loose after a few months, is that covered?", "warranty.md"),
    ("Does a gift card expire?", "gift-cards.md"),
    ("How do I check my gift card balance?", "gift-cards.md"),
    ("What are the opening hours of the Rotterdam store on Sunday?", "stores.md"),
    ("Can I collect my online order in the store?", "stores.md"),
    ("How do I clean leather shoes?", "care.md"),
    ("Can I wash sneakers in the washing machine?", "care.md"),
    ("How do loyalty points work?", "loyalty.md"),
    ("Can I cancel my order?", "orders.md"),
    ("Where are your shoes made?", "sustainability.md"),
]


def test_each_question_finds_its_source_in_the_top_3(capsys):
    tenant = ai_tenant()
    for path in sorted(FIXTURES.glob("*.md")):
        indexed_document(tenant, path.name, path.read_text())
    misses = []
    for question, expected in QUESTIONS:
        top = [hit.document.source for hit in search(tenant=tenant, query=question, limit=10)]
        top3 = list(dict.fromkeys(top))[:3]
        if expected not in top3:
            misses.append(f"{question!r}: expected {expected}, got {top3}")
    rate = (len(QUESTIONS) - len(misses)) / len(QUESTIONS)
    with capsys.disabled():
        print(
            f"\nknowledge relevance ({connection.vendor}): {len(QUESTIONS) - len(misses)}/{len(QUESTIONS)} "
            f"questions have their source in the top 3 = {rate:.0%}"
        )
        for miss in misses:
            print("  miss:", miss)
    assert rate >= MIN_HIT_RATE, misses
