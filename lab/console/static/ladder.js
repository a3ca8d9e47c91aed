// The live ladder diagram: one column per node, one row per message of the merged timeline, SIP as solid
// arrows (requests blue, 2xx green, 4xx–6xx red, 1xx grey), MSRP as dashed orange arrows. A row is a
// button: clicking it shows the raw message.

const SVG = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** CSS class of a hop's arrow. */
export function hopClass(hop) {
  if (hop.protocol === 'msrp') return 'msrp';
  const status = /^(\d)\d\d\b/.exec(hop.label);
  if (!status) return 'sip-req';
  if (status[1] === '1') return 'sip-prov';
  if (status[1] === '2') return 'sip-ok';
  return status[1] === '3' ? 'sip-ok' : 'sip-err';
}

// Arrow heads (SVG markers do not take the line's colour): the colours of console.css.
const ARROWS = {
  'sip-req': '#1d5fd1',
  'sip-ok': '#1a7f37',
  'sip-err': '#c2261d',
  'sip-prov': '#8a94a3',
  msrp: '#c25e00',
};

function formatTime(ms, origin) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return origin === undefined ? clock : `+${((ms - origin) / 1000).toFixed(3)}s`;
}

export class Ladder {
  #root;
  #columns = [];
  #hops = [];
  #marked = new Set();
  #selected = -1;
  #onSelect;
  #scheduled = false;
  #follow = () => true;

  constructor(root, { onSelect, follow }) {
    this.#root = root;
    this.#onSelect = onSelect;
    if (follow) this.#follow = follow;
    new ResizeObserver(() => this.render()).observe(root);
  }

  /** Column order: the given nodes first, then any other endpoint in order of appearance. */
  setColumns(names) {
    this.#columns = [...names];
    this.render();
  }

  setHops(hops) {
    this.#hops = hops;
    this.render();
  }

  mark(indexes) {
    this.#marked = new Set(indexes);
    this.render();
    const first = this.#root.querySelector('.hop.marked');
    first?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }

  select(index) {
    this.#selected = index;
    this.render();
  }

  render() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    requestAnimationFrame(() => {
      this.#scheduled = false;
      this.#draw();
    });
  }

  #draw() {
    const root = this.#root;
    const atBottom = root.scrollTop + root.clientHeight >= root.scrollHeight - 8;
    const previousScroll = root.scrollTop;
    const rem = Number.parseFloat(getComputedStyle(document.documentElement).fontSize) || 15;
    const columns = [...this.#columns];
    for (const h of this.#hops) {
      for (const name of [h.from, h.to]) if (!columns.includes(name)) columns.push(name);
    }
    const width = Math.max(root.clientWidth - 2, columns.length * 7 * rem);
    const left = 6.5 * rem;
    const right = 4 * rem;
    const step = columns.length > 1 ? (width - left - right) / (columns.length - 1) : 0;
    const xOf = new Map(columns.map((name, i) => [name, left + i * step]));
    const rowHeight = Math.round(1.9 * rem);
    const top = Math.round(0.6 * rem);
    const height = top + Math.max(1, this.#hops.length) * rowHeight + rowHeight;

    const header = document.createElement('div');
    header.className = 'cols';
    header.style.width = `${width}px`;
    for (const name of columns) {
      const col = document.createElement('span');
      col.className = `col ${name}`;
      col.textContent = name === 'cscf' || name === 'pf' ? name.toUpperCase() : name;
      col.style.left = `${xOf.get(name)}px`;
      header.append(col);
    }

    const svg = el('svg', { width, height, role: 'list', 'aria-label': 'SIP and MSRP messages' });
    const defs = el('defs');
    for (const [kind, color] of Object.entries(ARROWS)) {
      const marker = el('marker', {
        id: `arrow-${kind}`,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      });
      marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }));
      defs.append(marker);
    }
    svg.append(defs);
    for (const name of columns) {
      const x = xOf.get(name);
      svg.append(el('line', { class: 'lifeline', x1: x, y1: 0, x2: x, y2: height }));
    }
    const origin = this.#hops[0]?.time;
    this.#hops.forEach((hop, row) => {
      const y = top + (row + 1) * rowHeight;
      const kind = hopClass(hop);
      const classes = ['hop', kind];
      if (this.#marked.has(hop.index)) classes.push('marked');
      if (this.#selected === hop.index) classes.push('selected');
      const g = el('g', {
        class: classes.join(' '),
        role: 'listitem',
        tabindex: 0,
        'data-index': hop.index,
        'data-protocol': hop.protocol,
        'data-label': hop.label,
        'data-from': hop.from,
        'data-to': hop.to,
        'aria-label': `${hop.from} to ${hop.to}: ${hop.description}`,
      });
      g.append(el('rect', { class: 'hit', x: 0, y: y - rowHeight + 4, width, height: rowHeight }));
      g.append(el('text', { class: 'time', x: 0.4 * rem, y: y - 0.1 * rem }, formatTime(hop.time, origin)));
      const x1 = xOf.get(hop.from);
      const x2 = xOf.get(hop.to);
      if (x1 === x2) {
        g.append(el('path', { d: `M${x1},${y - 8} h${2 * rem} v10 h${-2 * rem}`, fill: 'none' }));
      } else {
        g.append(
          el('line', {
            x1,
            y1: y,
            x2: x2 + (x2 > x1 ? -2 : 2),
            y2: y,
            'marker-end': `url(#arrow-${kind})`,
          }),
        );
      }
      const text = el(
        'text',
        { class: 'label', x: (x1 + x2) / 2, y: y - 0.3 * rem, 'text-anchor': 'middle' },
        hop.description,
      );
      g.append(text);
      g.append(el('title', {}, `#${hop.index} ${hop.startLine}`));
      g.addEventListener('click', () => this.#onSelect(hop));
      g.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          this.#onSelect(hop);
        }
      });
      svg.append(g);
    });

    root.replaceChildren(header, svg);
    if (this.#hops.length === 0) {
      const empty = document.createElement('div');
      empty.className = 'empty';
      empty.textContent = 'No messages yet: take a client offline, send a message, end the session…';
      root.append(empty);
    }
    if (this.#follow() && atBottom) root.scrollTop = root.scrollHeight;
    else root.scrollTop = previousScroll;
  }
}
