"""Host provisioning as data: a Plan of Steps (why, done-if check, commands) per distro family.

`planner.build_plan` turns host facts and options into a Plan; `script.render_script` prints it
as bash; `executor.apply` runs it through the Runner. The same Plan feeds all three.
"""
