"""Renders the chat templates in src/test/resources/chat-templates with Python's jinja2 the way Hugging Face's
apply_chat_template does (trim_blocks, lstrip_blocks, loop controls, raise_exception), for two conversations,
and writes expected.json: per template and conversation, the text, the message the template raised with
raise_exception ('raised'), or another rendering error ('error'). Conversations are given as gguf-serve gives them:
to a template that does not write a system message, with the system text folded into the next user message.
It also renders one tool conversation (an assistant's tool_calls, a tool result, and the offered tools) into
'tool_expected'. strftime_now formats the fixed date FIXED_DATE (the Java tests give gguf-serve the same date), and
tojson is Hugging Face's (json.dumps: keys in order, non-ASCII kept, indent as asked).

usage: python3 src/test/chat-templates/make-expected.py   (from the repository root; needs jinja2)"""
import datetime, json, pathlib
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.exceptions import TemplateError

root = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'resources' / 'chat-templates'

# bos_token / eos_token as each model's tokenizer names them.
TOKENS = {
    'HuggingFaceTB-SmolLM3-3B': ('', '<|im_end|>'),
    'NousResearch-Hermes-3-Llama-3.1-8B-tool_use': ('<|begin_of_text|>', '<|im_end|>'),
    'Qwen-Qwen2.5-7B-Instruct': ('', '<|im_end|>'),
    'Qwen-Qwen3-0.6B': ('', '<|im_end|>'),
    'google-gemma-2-2b-it': ('<bos>', '<eos>'),
    'ibm-granite-granite-3.3-2B-Instruct': ('<|end_of_text|>', '<|end_of_text|>'),
    'meta-llama-Llama-3.1-8B-Instruct': ('<|begin_of_text|>', '<|eot_id|>'),
    'meta-llama-Llama-3.2-3B-Instruct': ('<|begin_of_text|>', '<|eot_id|>'),
    'microsoft-Phi-3.5-mini-instruct': ('<s>', '<|endoftext|>'),
    'mistralai-Mistral-Nemo-Instruct-2407': ('<s>', '</s>'),
}

CONVERSATIONS = {
    'multi-turn': [
        {'role': 'user', 'content': 'Hello'},
        {'role': 'assistant', 'content': 'Hi! How can I help?'},
        {'role': 'user', 'content': 'What is 2+2?'},
    ],
    'thinking': [
        {'role': 'user', 'content': 'Hi'},
        {'role': 'assistant', 'content': '<think>\nThe user greets me.\n</think>\n\nHello!'},
        {'role': 'user', 'content': 'Bye'},
    ],
    'with-system': [
        {'role': 'system', 'content': 'You are terse.'},
        {'role': 'user', 'content': 'Name a colour.'},
        {'role': 'assistant', 'content': 'Blue.'},
        {'role': 'user', 'content': 'Another.'},
    ],
}


TOOLS = [{'type': 'function', 'function': {
    'name': 'get_weather', 'description': 'The weather in a city',
    'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}, 'required': ['city']}}}]
# As ChatTemplateToolsTest builds it; the call id is nine alphanumerics, the only form Mistral's template accepts.
# The assistant's content is null, as OpenAI clients send it: gguf-serve gives it to templates as "" (ChatMessage),
# so it is rendered here as "", and the templates that accept None are checked to render None the same.
TOOL_CONVERSATION = [
    {'role': 'user', 'content': 'What is the weather in Paris?'},
    {'role': 'assistant', 'content': None, 'tool_calls': [
        {'id': 'abcDEF123', 'type': 'function', 'function': {'name': 'get_weather', 'arguments': {'city': 'Paris'}}}]},
    {'role': 'tool', 'content': '{"celsius": 21}', 'tool_call_id': 'abcDEF123'},
]
FIXED_DATE = datetime.date(2026, 3, 7)


class Raised(TemplateError):
    pass


def raise_exception(message):
    raise Raised(message)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.loopcontrols'])
env.globals['raise_exception'] = raise_exception
env.globals['strftime_now'] = lambda fmt: FIXED_DATE.strftime(fmt)
env.filters['tojson'] = lambda x, ensure_ascii=False, indent=None, separators=None, sort_keys=False: json.dumps(
    x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def render(template, messages, **variables):
    try:
        return {'text': template.render(messages=messages, add_generation_prompt=True, **variables)}
    except Raised as e:
        return {'raised': str(e)}
    except (TemplateError, TypeError) as e:  # TypeError: e.g. a template testing `'x' in content` on a None
        return {'error': str(e)}


def renders_system_role(template, bos, eos):
    probe = 'gguf-serve system role probe'
    rendered = render(template, [{'role': 'system', 'content': probe}, {'role': 'user', 'content': 'hi'}],
                      bos_token=bos, eos_token=eos)
    return probe in rendered.get('text', '')


def with_system_in_user_messages(messages):
    # As ChatTemplate gives a conversation to a template without a system role (Gemma 2's): each system text before
    # the next user message's, a blank line between; system text with no user message after it as a user message.
    folded, pending = [], None
    for message in messages:
        if message['role'] == 'system':
            pending = message['content'] if pending is None else pending + '\n\n' + message['content']
        elif pending is not None and message['role'] == 'user':
            folded.append(dict(message, content=pending + '\n\n' + message['content']))
            pending = None
        else:
            folded.append(message)
    if pending is not None:
        folded.append({'role': 'user', 'content': pending})
    return folded


expected = {}
tool_expected = {}
for name, (bos, eos) in sorted(TOKENS.items()):
    source = (root / (name + '.jinja')).read_text()
    template = env.from_string(source)
    expected[name] = {}
    system_role = renders_system_role(template, bos, eos)
    for conversation, messages in CONVERSATIONS.items():
        given = messages if system_role else with_system_in_user_messages(messages)
        expected[name][conversation] = render(template, given, bos_token=bos, eos_token=eos)
    as_given = [dict(message, content='') if message['content'] is None else message for message in TOOL_CONVERSATION]
    tool_expected[name] = render(template, as_given, tools=TOOLS, bos_token=bos, eos_token=eos)
    with_none = render(template, TOOL_CONVERSATION, tools=TOOLS, bos_token=bos, eos_token=eos)
    assert 'text' not in with_none or with_none == tool_expected[name], name + ' renders None unlike ""'
(root / 'expected.json').write_text(json.dumps({'bos_eos': TOKENS, 'conversations': CONVERSATIONS,
                                                'expected': expected,
                                                'fixed_date': FIXED_DATE.isoformat(), 'tools': TOOLS,
                                                'tool_conversation': TOOL_CONVERSATION,
                                                'tool_expected': tool_expected}, indent=1, ensure_ascii=False) + '\n')
