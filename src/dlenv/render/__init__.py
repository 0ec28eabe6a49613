"""Rendering: a resolved environment becomes a build context (plain files, deterministic)."""

from dlenv.render.context import BuildContext, BuilderCaps, RenderInput, render_context

__all__ = ["BuildContext", "BuilderCaps", "RenderInput", "render_context"]
