"""A short user prompt for each SCHEMA_CASES entry: a reason for the model to write that value.

The grammar alone makes the answer valid; a prompt that fits keeps the
answers short and natural (an unbounded string or number ends when the
model closes it, not at max_tokens)."""

PROMPTS = {
    "string": "Name one fruit. Answer as a JSON string.",
    "integer": "How many legs does a spider have? Answer with a JSON number.",
    "number": "What is half of 5? Answer with a JSON number.",
    "boolean": "Is water wet? Answer true or false.",
    "null": "Reply with JSON null.",
    "any_value": "Give the number 7 as JSON.",
    "any_object": "Describe a cat as a small JSON object with a name.",
    "type_list": "Give a short word or null, as JSON.",
    "flat_object": "Describe Ana, age 31, a member, as JSON.",
    "optional_properties": "Give a JSON object with b set to a short word.",
    "additional_true": "Give a JSON object with id 5.",
    "nested_objects": "Bob lives at 1 Main St, zip 90210. Give his record as JSON.",
    "array_of_integers": "List three small integers as a JSON array.",
    "array_any_items": "Give a JSON array with two numbers.",
    "array_exact_length": "Give three booleans as a JSON array.",
    "array_of_objects": "List two order lines (sku like ABC-12, qty) as JSON.",
    "string_enum": "Pick a color as JSON.",
    "mixed_enum": "Pick one value as JSON.",
    "const": "Give a point with x 2.5 as JSON.",
    "any_of": "Give a number above ten, as JSON.",
    "one_of_disjoint": "Describe a circle of radius 2 as JSON.",
    "ref_defs": "Give a home address as JSON.",
    "ref_definitions": "Pick a color as JSON.",
    "recursive_tree": "Give a tree with value 1 as JSON.",
    "recursive_root": "Give a linked list of two numbers as JSON.",
    "string_lengths": "Give a short word as a JSON string.",
    "pattern": "Give a code like ab-12 as a JSON string.",
    "pattern_unanchored": "Give a JSON string containing abc.",
    "format_date": "What date is New Year 2025? Answer as a JSON string.",
    "format_date_time": "Give the time of noon on 1 May 2024 as a JSON string.",
    "format_time": "What time is noon? Answer as a JSON string.",
    "format_email": "Give an email address for Ana as a JSON string.",
    "format_uuid": "Give a UUID as a JSON string.",
    "integer_bounds": "How many days are in a week? Answer with a JSON number.",
    "integer_exclusive": "Pick a number from 1 to 9 as JSON.",
    "number_bounds": "Give the number 1.5 as JSON.",
    "number_exclusive": "Give a probability as JSON.",
    "annotations_ignored": "Answer yes as a JSON object.",
    "boolean_schema_true": "Give a JSON object with anything set to 1.",
    "inferred_object": "Say ok as a JSON object.",
    "nullable_fields": "Give a note and a score as JSON.",
    "webllm_json_string": "Order two small coffees, as JSON.",
    "enum_of_containers": "Pick one value as JSON.",
    "bounded_string": "Name one fruit. Answer as a JSON string.",
    "enum_and_integer": "It is 18 degrees celsius. Give the unit and the value as JSON.",
}

SEEDS = (1, 2, 3)
# The schemas whose every answer SmolLM2-135M finishes within 64 tokens, greedy and with each
# seed (measured; run over SCHEMA_CASES). The others hold an unbounded string or number inside
# which the model can repeat itself ("1.5000000...") until max_tokens cuts the JSON; the random
# walks of tests/grammar/ cover those.
ANSWERED_CASES = (
    "boolean", "null", "type_list", "flat_object", "optional_properties", "nested_objects", "array_of_integers",
    "array_exact_length", "array_of_objects", "string_enum", "mixed_enum", "enum_of_containers", "const",
    "any_of", "one_of_disjoint", "ref_defs", "ref_definitions", "recursive_tree", "string_lengths", "pattern",
    "format_date", "format_date_time", "format_uuid", "integer_bounds", "integer_exclusive", "annotations_ignored",
    "inferred_object", "nullable_fields", "webllm_json_string", "bounded_string", "enum_and_integer",
)
# json_object on a prompt that names its fields (an open prompt rambles inside a string).
JSON_OBJECT_PROMPT = "A dog named Rex is 3 years old. Give his name and age as JSON."


def schema_format(schema) -> dict:
    """OpenAI's form for dict schemas, WebLLM's JSON-string form for string ones."""
    if isinstance(schema, str):
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
