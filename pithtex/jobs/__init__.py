"""The job layer: running many items in bounded worker processes, with progress and timed steps.

* :mod:`pithtex.jobs.executor`: the one bounded executor (forked workers, memory
  and time per item, failures per item, bounded in-flight work);
* :mod:`pithtex.jobs.limits`: the default bounds, as plain numbers;
* :mod:`pithtex.jobs.discovery`: arguments to files (folders walked, globs
  expanded) and input trees mirrored under an output folder;
* :mod:`pithtex.jobs.progress`: the progress protocol, a tqdm bar and a null one;
* :mod:`pithtex.jobs.steps`: the step timer of multi-step jobs.

The exit code of a batch is :func:`pithtex.core.errors.batch_exit_code`.  Nothing
is imported here, so that importing one module costs only that module.
"""
