package dev.millrace.translation.operators.sideinput;

import java.util.List;

/**
 * One firing of a triggered side input: everything the view holds in the element's window as of
 * that pane. A reader keeps the newest pane per window (by pane index) and drops older ones.
 */
record SideInputPane(List<Object> values) {}
