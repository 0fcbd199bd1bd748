"""Word highlighting for "why this verdict": escaped HTML of the message coloured by each word's attribution,
its colour key, and the widget that shows both with a table of the strongest words."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from spamcore.evaluation.figures import HAM_COLOR, SPAM_COLOR

_SPAM_RGB = tuple(int(SPAM_COLOR[i : i + 2], 16) for i in (1, 3, 5))
_HAM_RGB = tuple(int(HAM_COLOR[i : i + 2], 16) for i in (1, 3, 5))


def highlight_html(pieces: Sequence[tuple[str, float | None]], scale: float) -> str:
    """HTML of a message with each word's background coloured by its score (spam-ward orange, ham-ward blue).

    ``pieces`` is the whole text cut into (text, score) pieces, score None between words. Every piece is
    escaped with ``html.escape``: the result holds no markup from the text. Example:
    ``highlight_html([("<b>", 1.0)], 1.0)`` contains ``&lt;b&gt;`` and no ``<b>``.
    """
    import html

    parts = []
    for text, score in pieces:
        safe = html.escape(text, quote=True).replace("\n", "<br>")
        if score is None or scale <= 0:
            parts.append(safe)
            continue
        strength = min(1.0, abs(score) / scale)
        r, g, b = _SPAM_RGB if score > 0 else _HAM_RGB
        title = html.escape(f"{score:+.3f} spam probability", quote=True)
        # Only the colour depends on the score; the rest of the look is in assets/app.css (the router adds it).
        parts.append(f'<span title="{title}" style="background: rgba({r},{g},{b},{0.12 + 0.78 * strength:.2f}); '
                     f'color: {"white" if strength > 0.6 else "#111"};">{safe}</span>')
    return f'<div class="sc-highlight">{"".join(parts)}</div>'


def highlight_legend() -> str:
    """The colour key of :func:`highlight_html` (fixed text, no user input)."""
    def chip(rgb, alpha, label):
        r, g, b = rgb
        color = "white" if alpha > 0.6 else "#111"
        return f'<span style="background: rgba({r},{g},{b},{alpha}); color: {color};">{label}</span>'

    return ('<div class="sc-key">'
            + chip(_SPAM_RGB, 0.9, "strongly towards spam") + chip(_SPAM_RGB, 0.3, "a little towards spam")
            + '<span class="sc-none">no effect</span>'
            + chip(_HAM_RGB, 0.3, "a little towards ham") + chip(_HAM_RGB, 0.9, "strongly towards ham")
            + "</div>")



def show_explanation(why, key: str) -> None:
    """Draw a :class:`spamcore.teaching.explain.Explanation`: the message with highlighted words (escaped HTML),
    the colour key, a caption and a table of the strongest words (user text only as escaped HTML or table cells)."""
    from spamcore.teaching.explain import segments

    pieces = [(piece, word.score if word else None) for piece, word in segments(why)]
    st.html(highlight_html(pieces, why.scale))  # every piece escaped in highlight_html
    st.html(highlight_legend())
    cut = " Words past the max length were not read (no colour)." if why.truncated else ""
    st.caption(f"Colour strength is relative to the strongest word (±{why.scale:.3f} spam probability). Spam "
               f"probability {why.spam_probability:.1%}; with no words {why.baseline_probability:.1%}. "
               f"Computed in {why.seconds:.2f} s.{cut}")
    if why.words:
        top = sorted(why.words, key=lambda w: -abs(w.score))[:8]
        st.dataframe(pd.DataFrame({
            "word": [w.text for w in top], "WordPiece pieces": [" ".join(w.tokens) for w in top],
            "pushes towards": ["spam" if w.score > 0 else "ham" for w in top],
            "change in spam probability": [round(w.score, 4) for w in top],
        }), hide_index=True, width="stretch", key=key,
            column_config={"change in spam probability": st.column_config.NumberColumn(format="%+.4f")})
