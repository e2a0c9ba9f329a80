/**
 * Which of the project's own fixtures (test/fixtures/jobspec/invalid) covers the rule each Flux
 * conformance file (../shared/conformance/flux-jobspec) tests. The own-fixture test checks that
 * every file named here exists; the Flux conformance test, when the Flux set is present, checks
 * that every Flux file is named here, so a rule Flux adds cannot go uncovered unnoticed.
 */

/** Flux `invalid_v1/` file → our fixture breaking the same V1 rule. */
export const FLUX_INVALID_V1_COVERED_BY: Readonly<Record<string, string>> = {
  'core_count_invalid.yaml': 'core_count_zero.yaml',
  'duration_missing.yaml': 'duration_missing.yaml',
  'gpu_count_invalid.yaml': 'gpu_count_negative.yaml',
  'node_vertex_missing_count.yaml': 'node_count_missing.yaml',
  'node_vertex_with_notarray.yaml': 'slot_with_not_list.yaml',
  'node_vertex_with_toomany.yaml': 'node_with_two_vertices.yaml',
  'node_vertex_zero_count.yaml': 'node_count_zero.yaml',
  'res_type_unknown.yaml': 'top_type_unknown.yaml',
  'slot_node.yaml': 'slot_holds_node.yaml',
  'task_count_per_resource.yaml': 'task_count_per_resource.yaml',
  'version_wrong.yaml': 'version_2.yaml',
  'with_toomany.yaml': 'slot_with_three_vertices.yaml',
  'with_whatnow.yaml': 'slot_child_type_unknown.yaml',
};

/** Flux `invalid/` file → our fixture breaking the same canonical-jobspec rule. */
export const FLUX_INVALID_COVERED_BY: Readonly<Record<string, string>> = {
  'attributes_bad_entry.yaml': 'attributes_unknown_key.yaml',
  'attributes_not_mapping.yaml': 'attributes_not_mapping.yaml',
  'attributes_null.yaml': 'attributes_null.yaml',
  'constraints_not_object.yaml': 'constraints_not_mapping.yaml',
  'dependencies_not_array.yaml': 'dependencies_not_list.yaml',
  'dependency_invalid.yaml': 'dependency_value_not_string.yaml',
  'invalid_yaml1.yaml': 'yaml_syntax_error.yaml',
  'missing_attributes.yaml': 'missing_attributes.yaml',
  'missing_resources.yaml': 'missing_resources.yaml',
  'missing_tasks.yaml': 'missing_tasks.yaml',
  'missing_version.yaml': 'missing_version.yaml',
  'resource_count_bad_exp_min.yaml': 'count_range.yaml',
  'resource_count_bad_mult_operand.yaml': 'count_range.yaml',
  'resource_count_bad_operator.yaml': 'count_range_bad_operator.yaml',
  'resource_count_bad_type.yaml': 'count_list.yaml',
  'resource_count_is_zero.yaml': 'slot_count_zero.yaml',
  'resource_count_max_lessthan_min.yaml': 'count_range_max_below_min.yaml',
  'resource_count_min_is_zero.yaml': 'count_range_min_only.yaml',
  'resource_count_min_not_int.yaml': 'count_range_min_only.yaml',
  'resource_count_missing_min.yaml': 'count_range.yaml',
  'resource_count_missing_operand.yaml': 'count_range.yaml',
  'resource_count_missing_operator.yaml': 'count_range.yaml',
  'resource_count_negative.yaml': 'core_count_negative.yaml',
  'resource_count_operand_is_zero.yaml': 'count_range.yaml',
  'resource_count_operator_not_char.yaml': 'count_range_bad_operator.yaml',
  'resource_count_scalar_bad_value.yaml': 'count_string_word.yaml',
  'resource_exclusive_invalid.yaml': 'exclusive_not_boolean.yaml',
  'resource_exclusive_not_scalar.yaml': 'exclusive_list.yaml',
  'resource_id_not_scalar.yaml': 'resource_unknown_key_id.yaml',
  'resource_label_not_scalar.yaml': 'slot_label_not_string.yaml',
  'resource_missing_count.yaml': 'core_count_missing.yaml',
  'resource_missing_type.yaml': 'resource_type_missing.yaml',
  'resource_node_with_notarray.yaml': 'node_with_not_list.yaml',
  'resource_not_mapping.yaml': 'resource_not_mapping.yaml',
  'resource_slot_not_labelled.yaml': 'slot_label_missing.yaml',
  'resource_slot_with_notarray.yaml': 'slot_with_not_list.yaml',
  'resource_type_not_string.yaml': 'resource_type_not_string.yaml',
  'resource_unit_not_scalar.yaml': 'resource_unit_not_string.yaml',
  'resources_not_sequence.yaml': 'resources_not_list.yaml',
  'task_command_array_notstring.yaml': 'task_command_element_number.yaml',
  'task_command_not_array.yaml': 'task_command_not_list.yaml',
  'task_command_zero_length_array.yaml': 'task_command_empty.yaml',
  'task_count_empty.yaml': 'task_count_empty.yaml',
  'task_count_not_mapping.yaml': 'task_count_not_mapping.yaml',
  'task_count_per_slot_zero.yaml': 'task_count_per_slot_zero.yaml',
  'task_count_total_and_per_slot.yaml': 'task_count_per_slot_and_total.yaml',
  'task_count_total_zero.yaml': 'task_count_total_zero.yaml',
  'task_missing_command.yaml': 'task_command_missing.yaml',
  'task_missing_count.yaml': 'task_count_missing.yaml',
  'task_missing_slot.yaml': 'task_slot_missing.yaml',
  'task_not_mapping.yaml': 'task_not_mapping.yaml',
  'tasks_not_sequence.yaml': 'tasks_not_list.yaml',
  'version_bad_number.yaml': 'version_fraction.yaml',
  'version_is_zero.yaml': 'version_zero.yaml',
  'version_not_scalar.yaml': 'version_mapping.yaml',
};

/**
 * The kinds of Flux `valid/` (canonical RFC 14, not V1) documents → our fixtures a V1 validator
 * must reject the same way: by version, or by a shape V1 does not allow.
 */
export const FLUX_CANONICAL_COVERED_BY: Readonly<Record<string, string>> = {
  'version 999': 'canonical_version_999.yaml',
  'any resource graph (cluster, rack, socket, ...)': 'canonical_cluster_rack.yaml',
  'a rack at the top (use_case_1.10)': 'canonical_rack_top.yaml',
  'a slot holding an ssd and a node (use_case_1.11, example2)': 'canonical_slot_holds_ssd_and_node.yaml',
  'several top-level resources (use_case_1.9)': 'canonical_two_top_resources.yaml',
  'a task slot naming no label (basic_v1)': 'task_slot_unknown_label.yaml',
};
