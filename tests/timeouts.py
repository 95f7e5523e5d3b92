"""Each process test's time bound: about twice what it measured on a 2-core machine (`make test`, 2026-12-01), its
fixtures' start-up included; a test not listed is bounded by DEFAULT_S. Refresh from `--durations=0`."""

DEFAULT_S = 30   # every unit test measured under 8 s
MIN_S = 30       # the bound of a short process test: start-up on a slow machine varies more than it lasts
COVERAGE_S = 2400  # a coverage simulation of 10,000 draws: the slowest (`make capacity`'s search) 435 s

MEASURED_S = {
    'tests/api/test_api_only_install.py::test_the_api_serves_the_forest_from_a_venv_holding_only_the_api_part': 50.0,
    'tests/api/test_forest_process.py::test_the_served_forest_answers_what_scikit_learn_predicts_and_times_queue_and_compute_apart[one request a predict call]': 6.7,
    'tests/api/test_overload.py::test_overload_keeps_answering_with_bounded_memory_and_loses_no_acknowledged_prediction': 21.7,
    'tests/loadtests/test_distributed.py::test_a_master_and_two_workers_on_other_hosts_merge_exact_client_figures': 34.7,
    'tests/loadtests/test_interrupted_runs.py::test_a_generator_killed_mid_run_is_incomplete_never_a_pass[Locust killed in the first stage]': 12.6,
    'tests/loadtests/test_interrupted_runs.py::test_a_generator_killed_mid_run_is_incomplete_never_a_pass[Locust killed in the second stage]': 22.9,
    'tests/loadtests/test_end_to_end.py::test_a_repeat_set_keeps_every_run_and_reports_their_spread': 35.5,
    'tests/loadtests/test_interrupted_runs.py::test_ctrl_c_stops_cleanly_and_keeps_what_was_collected': 22.4,
    'tests/loadtests/test_end_to_end.py::test_the_drifted_scenario_ends_with_retrain': 26.0,
    'tests/loadtests/test_end_to_end.py::test_the_run_passes_and_prints_a_progress_line_per_stage_and_a_summary': 39.9,
    'tests/loadtests/test_open_model.py::test_arrivals_beyond_max_concurrency_are_dropped_and_counted': 5.1,
    'tests/loadtests/test_open_model.py::test_latency_is_timed_from_the_intended_start_through_a_stall': 5.0,
    'tests/loadtests/test_open_model.py::test_sent_plus_dropped_is_the_rate_times_the_window': 5.0,
    'tests/loadtests/test_open_model_stall.py::test_latency_from_the_intended_start_shows_the_stall_the_closed_model_hides': 33.4,
    'tests/loadtests/test_web_ui.py::test_stopped_before_any_test_ran_the_ui_exits_2_having_judged_nothing': 8.7,
    'tests/loadtests/test_web_ui.py::test_the_start_page_names_the_profile_and_a_profile_picked_there_is_the_one_judged': 35.8,
    'tests/slo/stats/test_bursts.py::test_both_targets_slow_the_same_share': 44.6,
    # Chromium: 2.4 s alone, 28.3 s in make test's unit phase beside a forest test on the other core (2026-12-03).
    'tests/slobench/test_history.py::test_the_index_renders_in_chromium_offline_with_both_charts': 28.3,
    'tests/slobench/test_ladder_looks.py::test_a_stage_decided_at_a_look_ends_there_and_the_next_runs_whole_on_every_process': 44.0,
    'tests/slobench/test_capacity_run.py::test_the_capacity_run_climbs_within_its_budget_and_keeps_a_full_run_folder': 150.0,
    'tests/slobench/test_held_run.py::test_a_busy_loop_on_the_apis_core_holds_the_stage_which_runs_again_and_is_judged': 70.2,
    'tests/slobench/test_knee_placement.py::test_the_stages_run_at_the_shares_of_the_knee_the_slo_file_predicts_at_the_measured_saturation': 41.5,
    'tests/slo/stats/test_family.py::test_a_default_runs_ten_gated_tests_on_their_edges[Holm: any false FAIL among 10 edge tests within the level]': 7.7,
    'tests/slo/verdicts/test_faults.py::test_prometheus_lost_mid_run_exits_2_keeps_the_load_data_and_the_run_is_judged_later': 38.0,
    'tests/slo/verdicts/test_faults.py::test_the_api_killed_mid_run_fails_availability_says_when_and_exits_1': 36.3,
    'tests/slo/stats/test_known_distribution.py::test_the_true_distribution_is_what_was_built': 34.9,
    'tests/slo/prometheus/test_real_deployments.py::test_a_profile_too_short_for_the_scrape_interval_is_refused_before_any_load': 15.2,
    'tests/slo/prometheus/test_real_deployments.py::test_a_slower_prometheus_scrape_is_learned_and_judges_right_with_complete_windows': 55.8,
    'tests/slo/prometheus/test_real_deployments.py::test_an_openslo_file_judges_a_running_api_whatever_its_job_is_called': 28.2,
    'tests/slo/prometheus/test_real_deployments.py::test_another_apis_traffic_in_the_same_prometheus_changes_none_of_the_figures[the other API in another job]': 31.8,
    'tests/slo/prometheus/test_real_deployments.py::test_another_apis_traffic_in_the_same_prometheus_changes_none_of_the_figures[the other API in the same job, TARGET_INSTANCES given]': 27.9,
    'tests/slo/prometheus/test_real_deployments.py::test_drift_against_an_api_whose_answers_are_not_ours_comes_from_what_was_sent[answers that carry none of our fields]': 28.0,
    'tests/slo/prometheus/test_real_deployments.py::test_drift_against_an_api_whose_answers_are_not_ours_comes_from_what_was_sent[answers without a request id]': 28.9,
    'tests/slo/prometheus/test_real_deployments.py::test_prometheus_url_that_cannot_know_the_api_started_here_is_refused': 7.5,
    'tests/slo/verdicts/test_regression_runs.py::test_an_unchanged_target_is_never_called_regressed': 65.2,
    'tests/stack/test_dashboard_queries.py::test_every_dashboard_panel_shows_its_known_value[Request rate by endpoint]': 16.7,
    'tests/stack/test_local_stack.py::test_down_leaves_no_process_behind': 5.4,
    'tests/stack/test_local_stack.py::test_every_dashboard_query_finds_the_real_apis_series[sum by (endpoint, status) (rate(api_requests_total{job="api"]': 7.9,
    'tests/stack/test_local_stack.py::test_prometheus_sees_the_api_up': 7.5,
    'tests/stack/test_replicas.py::test_a_replica_killed_mid_run_is_named_and_the_others_lose_nothing': 40.1,
}


# The longest coverage cases (10,000 draws; seconds on one of make coverage's two workers, 2026-12-08). Run first, so
# that the two workers end together: the search last left one of them alone for 12 of make coverage's minutes.
COVERAGE_MEASURED_S = {
    'tests/slo/stats/test_coverage.py::test_a_refined_runs_capacity_holds_the_knee_of_an_m_m_1_target': 435,
    'tests/slo/stats/test_coverage.py::test_the_runs_capacity_holds_the_knee_of_a_target_that_exports_no_prediction_time[two steps, timed by the generator]': 231,
    'tests/slo/stats/test_coverage.py::test_the_runs_capacity_holds_the_knee_of_a_target_that_exports_no_prediction_time[two steps]': 175,
    'tests/slo/stats/test_coverage_machine.py::test_the_runs_capacity_holds_the_knee_when_stages_in_the_middle_ran_slowed[three steps (a larger budget)]': 172,
    'tests/slo/stats/test_coverage.py::test_the_runs_capacity_holds_the_knee_of_a_target_that_exports_no_prediction_time[one step, timed by the generator]': 158,
    'tests/slo/stats/test_coverage.py::test_the_runs_capacity_at_its_typical_speed_holds_the_knee_when_the_machines_speed_moves[a step of its length]': 145,
    'tests/drift/test_performance.py::test_the_estimates_interval_holds_the_realized_auc_at_its_level_with_a_power_floor': 145,
}


def longest_first(nodeids: list[str]) -> list[int]:
    """The order to run tests in (indices into `nodeids`), longest first, as a scheduler of parallel work does: whole
    files by their measured seconds (the load phase hands out whole files, in the order it first meets them), then
    the longest coverage cases; otherwise the collected order (files stay whole, and so do their fixtures)."""
    per_file: dict[str, float] = {}
    for test, seconds in MEASURED_S.items():
        per_file[test.split("::")[0]] = per_file.get(test.split("::")[0], 0.0) + seconds
    return sorted(range(len(nodeids)), key=lambda i: (-per_file.get(nodeids[i].split("::")[0], 0.0),
                                                      -COVERAGE_MEASURED_S.get(nodeids[i], 0)))


def bound(nodeid: str) -> float:
    """The timeout of a test: its measured seconds (by the longest matching prefix of its id) times 2."""
    match = max((k for k in MEASURED_S if nodeid.startswith(k)), key=len, default=None)
    return DEFAULT_S if match is None else max(MIN_S, 2 * MEASURED_S[match])


def measured(durations_text: str, floor: float = 1.0) -> dict[str, float]:
    """{test id: setup + call + teardown seconds} from pytest's `--durations=0` lines, those of at least `floor`."""
    total: dict[str, float] = {}
    for line in durations_text.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].endswith("s") and parts[1] in ("setup", "call", "teardown"):
            try:
                total[parts[2]] = total.get(parts[2], 0.0) + float(parts[0][:-1])
            except ValueError:
                continue
    return {k: round(v, 1) for k, v in sorted(total.items()) if v >= floor}


if __name__ == "__main__":  # python -m tests.timeouts durations.txt...: the table to paste above
    import sys
    found: dict[str, float] = {}
    for path in sys.argv[1:]:
        found.update(measured(open(path).read()))
    for k, v in found.items():
        print(f"    {k!r}: {v},")
