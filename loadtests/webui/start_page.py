"""The web UI's start page says what START runs: the profile's stages above Locust's form (Locust's own users and
ramp-up fields, which a shaped test ignores, hidden), and a profile chosen in the form's custom parameters is
checked before any load. Loaded into the Locust process by `make ui` (SLOBENCH_LOCUST_PLUGINS), it reads the
profile from the running generator."""
from __future__ import annotations

from pathlib import Path

from flask import jsonify, request
from locust import events

from common.specfile import SpecError
from loadtests import process_settings
from loadtests.profile import Profile, load_profile, shipped
from slo.reports.page import render
from slo.file.load import load_slo
from slo.verdicts import sample_fit, scrape_fit

TEMPLATES = Path(__file__).parent / "templates"


def banner(profile: Profile, scrape_interval_s: float) -> str:
    """The HTML put above Locust's start form."""
    return render("start_page.html", TEMPLATES, profile=profile, scrape_interval_s=scrape_interval_s,
                  scrapes_per_window=int(min(w.measured_s for w in profile.windows()) // scrape_interval_s),
                  shipped=[load_profile(name) for name in shipped()])


def refusal(choice: str, spec, settings: process_settings.LocustProcessSettings) -> str | None:
    """Why the profile named in the start form cannot run here, or None."""
    try:
        profile = settings.profile_named(choice)
        if profile.needs_probe:
            return (f"profile {profile.name} places its stages as shares of the target's measured saturation, and "
                    f"this UI measured none: start the UI with it (make ui PROFILE={choice}) so the probe runs first")
        sample_fit.check(profile, spec, log=lambda *_: None)
        scrape_fit.check(profile, settings.scrape_interval, "Prometheus, when the UI started")
    except SpecError as exc:
        return str(exc)
    return None


@events.init.add_listener
def _on_init(environment, **_):
    web_ui = environment.web_ui
    if web_ui is None:
        return
    settings = process_settings.load()
    spec = load_slo(settings.slo) if settings.slo else load_slo()
    shown: dict = {}   # the banner of the profile the generator runs, built once for each profile it takes

    def html() -> str:
        # The running generator (environment.slobench: its role's Generator) holds the profile its next test runs,
        # the start form's choice included; this plugin is imported before it is built, so it is read here.
        profile = environment.slobench.profile
        if shown.get("profile") is not profile:
            shown.update(profile=profile, html=banner(profile, settings.scrape_interval))
        return shown["html"]

    @web_ui.app.before_request
    def _check_the_chosen_profile():
        choice = request.form.get(process_settings.PROFILE_OPTION) if request.path == "/swarm" else None
        if choice and request.method == "POST":
            why = refusal(choice, spec, settings)
            if why:
                return jsonify({"success": False, "message": why, "host": environment.host})
        return None

    @web_ui.app.after_request
    def _add_banner(response):
        if request.path == "/" and response.status_code == 200 and response.mimetype == "text/html":
            response.direct_passthrough = False
            response.set_data(response.get_data(as_text=True).replace("<body>", "<body>" + html(), 1))
        return response
