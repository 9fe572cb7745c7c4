from dspex_compat._adapter_utils import (
    annotation_allows_none,
    apply_output_field_defaults,
    find_enum_member,
    format_field_value,
    get_annotation_name,
    get_field_description_string,
    parse_value,
    serialize_for_json,
    translate_field_type,
)
