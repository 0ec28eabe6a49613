"""Rendering: a resolved environment becomes a build context (plain files, deterministic)."""

from dlenv.render.context import BuildContext, RenderInput, render_context

__all__ = ["BuildContext", "RenderInput", "render_context"]
