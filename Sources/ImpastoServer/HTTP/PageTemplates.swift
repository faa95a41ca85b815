// The web pages' Mustache templates: plain HTML, a little JavaScript, no build step. Kept in the source (not a
// resource bundle) so the binary serves them wherever it is copied. Every {{value}} is HTML-escaped by Mustache.
import Mustache

enum PageTemplates {
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in [("head", head), ("feed", feed), ("signin", signIn), ("new", newJob), ("job", job),
                             ("history", history)] {
            try library.register(text, named: name)
        }
        return library
    }

    static let head = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Impasto</title>
        <style>
        body { font: 16px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; }
        nav a { margin-right: 1rem; } img { max-width: 100%; border-radius: 4px; }
        .row { display: flex; gap: .75rem; align-items: flex-start; margin: 1rem 0; } .row figure { flex: 1; margin: 0; }
        .row figure img { width: 100%; }
        figcaption { font-size: .85rem; color: #666; } progress { width: 100%; } .error { color: #b00020; }
        label { display: block; margin: .6rem 0; } table { border-collapse: collapse; } td { padding: .25rem .5rem; }
        </style></head><body>
        <nav><a href="/">Feed</a>{{#account}}<a href="/new">New picture</a><a href="/history">My pictures</a>
        <span>{{name}}</span>{{/account}}{{^account}}<a href="/signin">Sign in</a>{{/account}}</nav>
        <h1>{{title}}</h1>
        """

    static let feed = """
        {{> head}}
        {{^entries}}<p>No public pictures yet.</p>{{/entries}}
        {{#entries}}
        <div class="row">
          <figure><img src="/api/files/{{content}}" alt="photo"><figcaption>photo</figcaption></figure>
          {{#style}}<figure><img src="/api/files/{{style}}" alt="style"><figcaption>style{{#styleFilter}} ·
            <a href="/new?filter={{styleFilter}}">use this style</a>{{/styleFilter}}</figcaption></figure>{{/style}}
          {{#model}}<figure><figcaption>bundled style “{{model}}”</figcaption></figure>{{/model}}
          <figure><img src="/api/files/{{result}}" alt="result"><figcaption>{{kind}}, {{tier}}</figcaption></figure>
        </div>
        {{/entries}}
        {{#hasFilters}}<h2>Filters</h2>
        <div class="row">{{#filters}}
          <figure><img src="/api/files/{{style}}" alt="{{name}}"><figcaption>{{name}} by {{owner}} ·
            <a href="/new?filter={{id}}">use this style</a></figcaption></figure>
        {{/filters}}</div>{{/hasFilters}}
        </body></html>
        """

    static let signIn = """
        {{> head}}
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        <form method="post" action="/signin">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label>Name <input name="name" required maxlength="40"></label>
          <label>Password <input name="password" type="password" required minlength="8"></label>
          <button>Sign in</button> <button formaction="/register">Create an account</button>
        </form>
        </body></html>
        """

    static let newJob = """
        {{> head}}
        <form id="new">
          <label>Job <select name="kind"><option value="">style transfer (a style image or a bundled style)</option>
            <option value="cutout">cut out the person</option><option value="faces">find the faces</option>
            <option value="explain">explain what the network sees (Grad-CAM)</option></select></label>
          <label>Photo <input type="file" name="photo" accept="image/png,image/jpeg" required></label>
          <label>Style image <input type="file" name="style" accept="image/png,image/jpeg"></label>
          <label>or a saved filter <select name="filter"><option value="">—</option>
            {{#filters}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/filters}}</select></label>
          <label>or a bundled style <select name="model"><option value="">—</option>
            {{#models}}<option>{{.}}</option>{{/models}}</select></label>
          <label>Tier <select name="tier">{{#tiers}}<option>{{.}}</option>{{/tiers}}</select></label>
          <label>Size (longest side, px) <input name="size" type="number" min="16" placeholder="the tier's"></label>
          <label>Iterations <input name="iterations" type="number" min="1" placeholder="the tier's"></label>
          <label><input type="checkbox" name="public"> Show the result in the public feed</label>
          <button>Paint</button> <span id="message" class="error"></span>
        </form>
        <script>
        const form = document.getElementById('new'), message = document.getElementById('message');
        async function send(url, options) {
          const response = await fetch(url, options), body = await response.json();
          if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
          return body;
        }
        form.addEventListener('submit', async event => {
          event.preventDefault();
          message.textContent = '';
          try {
            const upload = file => send('/api/uploads?name=' + encodeURIComponent(file.name), {method: 'POST', body: file});
            const photo = await upload(form.photo.files[0]);
            const job = {content: photo.id, tier: form.tier.value, public: form.public.checked};
            if (form.kind.value) job.kind = form.kind.value;
            else if (form.filter.value) { job.kind = 'stylize'; job.filter = form.filter.value; }
            else if (form.style.files.length) { job.kind = 'stylize'; job.style = (await upload(form.style.files[0])).id; }
            else { job.kind = 'apply'; job.model = form.model.value; }
            if (form.size.value) job.size = Number(form.size.value);
            if (form.iterations.value && job.kind === 'stylize') job.iterations = Number(form.iterations.value);
            const created = await send('/api/jobs', {method: 'POST', headers: {'content-type': 'application/json'},
                                                     body: JSON.stringify(job)});
            location.href = '/jobs/' + created.id;
          } catch (error) { message.textContent = error.message; }
        });
        </script>
        </body></html>
        """

    static let job = """
        {{> head}}
        <p id="state">{{state}}</p>
        <progress id="progress" max="1" value="{{progress}}"></progress>
        <p id="detail">{{detail}}</p><p id="findings">{{findings}}</p><p id="error" class="error">{{error}}</p>
        <div class="row">
          <figure><img src="/api/files/{{content}}" alt="photo"><figcaption>photo</figcaption></figure>
          {{#style}}<figure><img src="/api/files/{{style}}" alt="style"><figcaption>style</figcaption></figure>{{/style}}
          <figure><img id="picture" src="{{#picture}}/api/files/{{picture}}{{/picture}}" alt="">
            <figcaption id="caption">{{caption}}</figcaption></figure>
        </div>
        <button id="cancel">Cancel</button>
        <label><input type="checkbox" id="public" {{#public}}checked{{/public}}> In the public feed</label>
        {{#style}}<form id="save" hidden>
          <label>Save this style as a filter <input name="filtername" required maxlength="60" placeholder="a name"></label>
          <label><input type="checkbox" name="public"> Public</label> <button>Save</button> <span id="saved"></span>
        </form>{{/style}}
        <script>
        const id = '{{id}}', $ = name => document.getElementById(name);
        function show(job) {
          $('state').textContent = job.state + (job.queuePosition ? ', number ' + job.queuePosition + ' in the queue' : '')
            + (job.etaSeconds ? ', about ' + Math.ceil(job.etaSeconds) + ' s left' : '');
          $('progress').value = job.progress;
          $('detail').textContent = job.detail || '';
          $('findings').textContent = job.target || (job.faces ? job.faces.length + (job.faces.length === 1 ? ' face' : ' faces') : '');
          $('error').textContent = job.error || '';
          const picture = job.result || job.preview;
          if (picture && !$('picture').src.endsWith(picture)) $('picture').src = '/api/files/' + picture;
          $('caption').textContent = job.result ? 'result' : (job.preview ? 'preview' : '');
          $('cancel').hidden = job.state !== 'queued' && job.state !== 'running';
          if ($('save')) $('save').hidden = job.state !== 'done';
        }
        if ($('save')) $('save').onsubmit = async event => {
          event.preventDefault();
          const form = $('save'), response = await fetch('/api/filters', {method: 'POST',
            headers: {'content-type': 'application/json'},
            body: JSON.stringify({name: form.filtername.value, job: id, public: form.public.checked})});
          const body = await response.json();
          $('saved').textContent = response.ok ? 'Saved.' : body.error.message;
        };
        const events = new EventSource('/api/jobs/' + id + '/events');
        events.onmessage = event => show(JSON.parse(event.data));
        events.addEventListener('end', event => { show(JSON.parse(event.data)); events.close(); });
        $('cancel').onclick = () => fetch('/api/jobs/' + id + '/cancel', {method: 'POST'});
        $('public').onchange = () => fetch('/api/jobs/' + id + '/public', {method: 'PUT',
          headers: {'content-type': 'application/json'}, body: JSON.stringify({public: $('public').checked})});
        </script>
        </body></html>
        """

    static let history = """
        {{> head}}
        {{^jobs}}<p>Nothing yet: <a href="/new">paint a picture</a>.</p>{{/jobs}}
        <table>{{#jobs}}
          <tr><td><a href="/jobs/{{id}}">{{kind}}</a></td><td>{{tier}}</td><td>{{state}}</td>
          <td>{{#result}}<img src="/api/files/{{result}}" alt="" height="60">{{/result}}</td></tr>
        {{/jobs}}</table>
        </body></html>
        """
}
