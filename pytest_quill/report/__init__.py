"""Reports of a run: Allure labels and run files, the Gantt chart, the plan's metrics."""
