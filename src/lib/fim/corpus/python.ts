// Built-in synthetic corpus, Python part: original code written for this project (MIT licence).
// Covers binary search, quicksort, tree traversal, NumPy matrix operations, a PyTorch LSTM,
// web scraping, and general utilities (dataclasses + argparse CLI, LRU cache, text statistics).

import type { CorpusFile } from "./index.ts";

export const PYTHON_FILES: readonly CorpusFile[] = [
  {
    path: "python/binary_search.py",
    text: String.raw`"""Binary search variants over sorted sequences.

All functions assume items is sorted in non-decreasing order. They run in
O(log n) time and never copy the input list.
"""

from typing import Any, Callable, Optional, Sequence


def binary_search(items: Sequence[Any], target: Any) -> int:
    """Return the index of target in items or -1 if it is absent."""
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        # Written this way to mirror languages where lo + hi could overflow.
        mid = lo + (hi - lo) // 2
        value = items[mid]
        if value == target:
            return mid
        if value < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


def binary_search_recursive(
    items: Sequence[Any], target: Any, lo: int = 0, hi: Optional[int] = None
) -> int:
    """Recursive version of binary_search() over items[lo:hi + 1]."""
    if hi is None:
        hi = len(items) - 1
    if lo > hi:
        return -1
    mid = (lo + hi) // 2
    if items[mid] == target:
        return mid
    if items[mid] < target:
        return binary_search_recursive(items, target, mid + 1, hi)
    return binary_search_recursive(items, target, lo, mid - 1)


def lower_bound(items: Sequence[Any], target: Any) -> int:
    """First index i such that items[i] >= target (like bisect_left)."""
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def upper_bound(items: Sequence[Any], target: Any) -> int:
    """First index i such that items[i] > target (like bisect_right)."""
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if target < items[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def count_occurrences(items: Sequence[Any], target: Any) -> int:
    """Count how many times target appears using two bound searches."""
    return upper_bound(items, target) - lower_bound(items, target)


def insert_sorted(items: list, value: Any) -> None:
    """Insert value keeping items sorted; equal values go to the right."""
    items.insert(upper_bound(items, value), value)


def first_true(lo: int, hi: int, predicate: Callable[[int], bool]) -> int:
    """Smallest integer in [lo, hi) where a monotone predicate holds.

    The predicate must be False for a prefix of the range and True for the
    rest. Returns hi when the predicate is never true.
    """
    while lo < hi:
        mid = (lo + hi) // 2
        if predicate(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def integer_sqrt(n: int) -> int:
    """Floor of the square root of a non-negative integer, via first_true."""
    if n < 0:
        raise ValueError("n must be non-negative")
    # The first k whose square exceeds n, minus one, is the floor of sqrt(n).
    return first_true(0, n + 2, lambda k: k * k > n) - 1


def search_rotated(items: Sequence[int], target: int) -> int:
    """Find target in a sorted list that was rotated at an unknown pivot."""
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        if items[lo] <= items[mid]:
            # The left half is sorted.
            if items[lo] <= target < items[mid]:
                hi = mid - 1
            else:
                lo = mid + 1
        else:
            # The right half is sorted.
            if items[mid] < target <= items[hi]:
                lo = mid + 1
            else:
                hi = mid - 1
    return -1


if __name__ == "__main__":
    data = [1, 3, 3, 3, 7, 9, 12, 15]
    assert binary_search(data, 9) == 5
    assert binary_search(data, 4) == -1
    assert binary_search_recursive(data, 12) == 6
    assert lower_bound(data, 3) == 1
    assert upper_bound(data, 3) == 4
    assert count_occurrences(data, 3) == 3
    assert integer_sqrt(99) == 9
    assert search_rotated([9, 12, 15, 1, 3, 7], 3) == 4
    insert_sorted(data, 8)
    print("sorted after insert:", data)
`,
  },
  {
    path: "python/quicksort.py",
    text: String.raw`"""Three flavours of in-place quicksort.

* Lomuto partition: simple, the pivot ends up at its final position.
* Hoare partition: fewer swaps, works well with many distinct keys.
* Three-way (Dutch national flag): fast when the input has many duplicates.
"""

import random
from typing import List, MutableSequence, Optional, Tuple


def lomuto_partition(a: MutableSequence, lo: int, hi: int) -> int:
    """Partition a[lo:hi + 1] around a[hi] and return the pivot index."""
    pivot = a[hi]
    i = lo
    for j in range(lo, hi):
        if a[j] < pivot:
            a[i], a[j] = a[j], a[i]
            i += 1
    a[i], a[hi] = a[hi], a[i]
    return i


def quicksort_lomuto(a: MutableSequence, lo: int = 0, hi: Optional[int] = None) -> None:
    if hi is None:
        hi = len(a) - 1
    while lo < hi:
        # A random pivot protects against already-sorted input.
        k = random.randint(lo, hi)
        a[k], a[hi] = a[hi], a[k]
        p = lomuto_partition(a, lo, hi)
        # Recurse into the smaller side and loop on the larger one so the
        # stack depth stays O(log n).
        if p - lo < hi - p:
            quicksort_lomuto(a, lo, p - 1)
            lo = p + 1
        else:
            quicksort_lomuto(a, p + 1, hi)
            hi = p - 1


def hoare_partition(a: MutableSequence, lo: int, hi: int) -> int:
    """Return j such that every item in a[lo:j + 1] <= every item after."""
    pivot = a[(lo + hi) // 2]
    i, j = lo - 1, hi + 1
    while True:
        i += 1
        while a[i] < pivot:
            i += 1
        j -= 1
        while a[j] > pivot:
            j -= 1
        if i >= j:
            return j
        a[i], a[j] = a[j], a[i]


def quicksort_hoare(a: MutableSequence, lo: int = 0, hi: Optional[int] = None) -> None:
    if hi is None:
        hi = len(a) - 1
    if lo < hi:
        p = hoare_partition(a, lo, hi)
        # Unlike Lomuto, the pivot is not necessarily at index p, so p is
        # included in the left half.
        quicksort_hoare(a, lo, p)
        quicksort_hoare(a, p + 1, hi)


def three_way_partition(a: MutableSequence, lo: int, hi: int) -> Tuple[int, int]:
    """Split into < pivot, == pivot and > pivot regions.

    Returns (lt, gt) so that a[lt:gt + 1] holds the pivot copies.
    """
    pivot = a[lo]
    lt, i, gt = lo, lo + 1, hi
    while i <= gt:
        if a[i] < pivot:
            a[lt], a[i] = a[i], a[lt]
            lt += 1
            i += 1
        elif a[i] > pivot:
            a[i], a[gt] = a[gt], a[i]
            gt -= 1
        else:
            i += 1
    return lt, gt


def quicksort_3way(a: MutableSequence, lo: int = 0, hi: Optional[int] = None) -> None:
    if hi is None:
        hi = len(a) - 1
    if lo >= hi:
        return
    k = random.randint(lo, hi)
    a[lo], a[k] = a[k], a[lo]
    lt, gt = three_way_partition(a, lo, hi)
    quicksort_3way(a, lo, lt - 1)
    quicksort_3way(a, gt + 1, hi)


def quickselect(a: List, k: int):
    """Return the k-th smallest item (0-based) in expected linear time."""
    if not 0 <= k < len(a):
        raise IndexError("k out of range")
    items = list(a)
    lo, hi = 0, len(items) - 1
    while True:
        if lo == hi:
            return items[lo]
        r = random.randint(lo, hi)
        items[r], items[hi] = items[hi], items[r]
        p = lomuto_partition(items, lo, hi)
        if k == p:
            return items[p]
        if k < p:
            hi = p - 1
        else:
            lo = p + 1


if __name__ == "__main__":
    rng = random.Random(42)
    for sorter in (quicksort_lomuto, quicksort_hoare, quicksort_3way):
        for size in (0, 1, 2, 10, 500):
            data = [rng.randint(0, 20) for _ in range(size)]
            expected = sorted(data)
            sorter(data)
            assert data == expected, sorter.__name__
    values = [7, 1, 5, 3, 9]
    assert quickselect(values, 2) == 5
    print("all quicksort variants agree with sorted()")
`,
  },
  {
    path: "python/tree_traversal.py",
    text: String.raw`"""Binary tree traversals (recursive and stack-based) and a small BST."""

from collections import deque
from dataclasses import dataclass
from typing import Iterator, List, Optional


@dataclass
class Node:
    value: int
    left: Optional["Node"] = None
    right: Optional["Node"] = None


def preorder(node: Optional[Node]) -> List[int]:
    return [] if node is None else [node.value] + preorder(node.left) + preorder(node.right)


def inorder(node: Optional[Node]) -> List[int]:
    return [] if node is None else inorder(node.left) + [node.value] + inorder(node.right)


def postorder(node: Optional[Node]) -> List[int]:
    return [] if node is None else postorder(node.left) + postorder(node.right) + [node.value]


# The iterative versions avoid Python's recursion limit on very deep trees.
def preorder_iterative(root: Optional[Node]) -> List[int]:
    out, stack = [], [root] if root else []
    while stack:
        node = stack.pop()
        out.append(node.value)
        # Push right first so the left subtree is processed first.
        if node.right:
            stack.append(node.right)
        if node.left:
            stack.append(node.left)
    return out


def inorder_iterative(root: Optional[Node]) -> Iterator[int]:
    """Lazily yield values in sorted order for a BST."""
    stack: List[Node] = []
    node = root
    while stack or node:
        while node:
            stack.append(node)
            node = node.left
        node = stack.pop()
        yield node.value
        node = node.right


def postorder_iterative(root: Optional[Node]) -> List[int]:
    """Two-stack trick: a reversed (root, right, left) walk is postorder."""
    if root is None:
        return []
    stack, out = [root], []
    while stack:
        node = stack.pop()
        out.append(node.value)
        if node.left:
            stack.append(node.left)
        if node.right:
            stack.append(node.right)
    return out[::-1]


def level_order(root: Optional[Node]) -> List[List[int]]:
    """Breadth-first traversal grouped by depth."""
    levels, queue = [], deque([root] if root else [])
    while queue:
        level = []
        for _ in range(len(queue)):
            node = queue.popleft()
            level.append(node.value)
            if node.left:
                queue.append(node.left)
            if node.right:
                queue.append(node.right)
        levels.append(level)
    return levels


class BST:
    """Unbalanced binary search tree storing unique integer keys."""

    def __init__(self) -> None:
        self.root: Optional[Node] = None
        self.size = 0

    def insert(self, value: int) -> bool:
        """Insert value; return False if it was already present."""
        if self.root is None:
            self.root, self.size = Node(value), 1
            return True
        node = self.root
        while True:
            if value == node.value:
                return False
            side = "left" if value < node.value else "right"
            child = getattr(node, side)
            if child is None:
                setattr(node, side, Node(value))
                self.size += 1
                return True
            node = child

    def __contains__(self, value: int) -> bool:
        node = self.root
        while node and node.value != value:
            node = node.left if value < node.value else node.right
        return node is not None

    def delete(self, value: int) -> None:
        if value in self:
            self.root = self._delete(self.root, value)
            self.size -= 1

    def _delete(self, node: Optional[Node], value: int) -> Optional[Node]:
        if node is None:
            return None
        if value < node.value:
            node.left = self._delete(node.left, value)
        elif value > node.value:
            node.right = self._delete(node.right, value)
        elif node.left is None or node.right is None:
            return node.left or node.right
        else:
            # Two children: copy the in-order successor, then remove it.
            succ = node.right
            while succ.left:
                succ = succ.left
            node.value = succ.value
            node.right = self._delete(node.right, succ.value)
        return node

    def __iter__(self) -> Iterator[int]:
        return inorder_iterative(self.root)


if __name__ == "__main__":
    tree = BST()
    assert all(tree.insert(key) for key in [8, 3, 10, 1, 6, 14, 4, 7, 13])
    assert list(tree) == inorder(tree.root) == sorted(tree)
    assert preorder(tree.root) == preorder_iterative(tree.root)
    assert postorder(tree.root) == postorder_iterative(tree.root)
    print("levels:", level_order(tree.root))
    tree.delete(3)  # a node with two children
    assert 3 not in tree and tree.size == 8
`,
  },
  {
    path: "python/matrix_ops.py",
    text: String.raw`"""Matrix utilities built on NumPy. Several routines are written out by hand
for clarity and checked against NumPy's own implementations in the self-test.
"""

import numpy as np


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Naive triple-loop product, vectorised over the inner dimension."""
    if a.shape[1] != b.shape[0]:
        raise ValueError("shapes %s and %s are not aligned" % (a.shape, b.shape))
    out = np.zeros((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            out[i, j] = np.dot(a[i, :], b[:, j])
    return out


def transpose(a: np.ndarray) -> np.ndarray:
    """Return a new array with rows and columns swapped (no shared memory)."""
    rows, cols = a.shape
    out = np.empty((cols, rows), dtype=a.dtype)
    for i in range(rows):
        out[:, i] = a[i, :]
    return out


def gauss_jordan_inverse(a: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Invert a square matrix with Gauss-Jordan elimination and partial pivoting."""
    n, m = a.shape
    if n != m:
        raise ValueError("matrix must be square")
    # Augment [A | I] and reduce the left half to the identity.
    aug = np.hstack([a.astype(float), np.eye(n)])
    for col in range(n):
        # Partial pivoting: bring the largest remaining entry to the diagonal.
        pivot = col + int(np.argmax(np.abs(aug[col:, col])))
        if abs(aug[pivot, col]) < tol:
            raise np.linalg.LinAlgError("matrix is singular")
        if pivot != col:
            aug[[col, pivot]] = aug[[pivot, col]]
        aug[col] /= aug[col, col]
        # Eliminate this column from every other row in one broadcast step.
        factors = aug[:, col].copy()
        factors[col] = 0.0
        aug -= np.outer(factors, aug[col])
    return aug[:, n:]


def power_iteration(a: np.ndarray, iters: int = 1000, tol: float = 1e-10, seed: int = 0):
    """Estimate the dominant eigenvalue and eigenvector of the square matrix a.

    Converges when one eigenvalue is strictly larger in magnitude than the rest.
    """
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(a.shape[0])
    v /= np.linalg.norm(v)
    eigenvalue = 0.0
    for _ in range(iters):
        w = a @ v
        v_next = w / np.linalg.norm(w)
        # The Rayleigh quotient gives the eigenvalue estimate for v_next.
        next_value = float(v_next @ a @ v_next)
        if abs(next_value - eigenvalue) < tol:
            return next_value, v_next
        v, eigenvalue = v_next, next_value
    return eigenvalue, v


def determinant(a: np.ndarray) -> float:
    """Determinant via Gaussian elimination: the product of the pivots."""
    u = a.astype(float).copy()
    det = 1.0
    for col in range(u.shape[0]):
        pivot = col + int(np.argmax(np.abs(u[col:, col])))
        if u[pivot, col] == 0.0:
            return 0.0
        if pivot != col:
            u[[col, pivot]] = u[[pivot, col]]
            det = -det  # each row swap flips the sign
        det *= u[col, col]
        u[col + 1:] -= np.outer(u[col + 1:, col] / u[col, col], u[col])
    return det


def gram_schmidt_qr(a: np.ndarray):
    """QR decomposition with modified Gram-Schmidt (columns must be independent)."""
    cols = a.shape[1]
    q = a.astype(float).copy()
    r = np.zeros((cols, cols))
    for j in range(cols):
        r[j, j] = np.linalg.norm(q[:, j])
        q[:, j] /= r[j, j]
        # Remove the new direction from all later columns straight away.
        r[j, j + 1:] = q[:, j] @ q[:, j + 1:]
        q[:, j + 1:] -= np.outer(q[:, j], r[j, j + 1:])
    return q, r


def normalize_rows(a: np.ndarray, order: int = 2) -> np.ndarray:
    """Scale each row to unit norm; all-zero rows are left unchanged."""
    norms = np.linalg.norm(a, ord=order, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return a / norms


def standardize_columns(a: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance per column (z-scores)."""
    mean = a.mean(axis=0)
    std = a.std(axis=0)
    std[std == 0] = 1.0
    return (a - mean) / std


def min_max_scale(a: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Rescale each column linearly into the interval [lo, hi]."""
    col_min, col_max = a.min(axis=0), a.max(axis=0)
    span = np.where(col_max > col_min, col_max - col_min, 1.0)
    return lo + (a - col_min) / span * (hi - lo)


def cosine_similarity_matrix(x: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarity between the rows of x."""
    unit = normalize_rows(x)
    return unit @ unit.T


if __name__ == "__main__":
    rng = np.random.default_rng(7)
    a = rng.standard_normal((4, 4))
    b = rng.standard_normal((4, 3))
    assert np.allclose(matmul(a, b), a @ b)
    assert np.array_equal(transpose(b), b.T)
    inv = gauss_jordan_inverse(a)
    assert np.allclose(inv @ a, np.eye(4))
    assert np.isclose(determinant(a), np.linalg.det(a))
    q, r = gram_schmidt_qr(b)
    assert np.allclose(q @ r, b) and np.allclose(q.T @ q, np.eye(3))
    sym = a @ a.T  # symmetric positive semi-definite
    value, vector = power_iteration(sym)
    assert np.isclose(value, np.linalg.eigvalsh(sym).max(), rtol=1e-6)
    assert np.allclose(sym @ vector, value * vector, atol=1e-4)

    unit = normalize_rows(b)
    assert np.allclose(np.linalg.norm(unit, axis=1), 1.0)
    z = standardize_columns(b)
    assert np.allclose(z.mean(axis=0), 0.0) and np.allclose(z.std(axis=0), 1.0)
    scaled = min_max_scale(b)
    assert scaled.min() >= 0.0 and scaled.max() <= 1.0
    print(np.round(cosine_similarity_matrix(b), 3))
`,
  },
  {
    path: "python/lstm_classifier.py",
    text: String.raw`"""A sequence classifier built around an LSTM, plus a hand-written LSTM cell.

The model embeds token ids, runs them through nn.LSTM and classifies the
final hidden state. ManualLSTMCell spells out the gate equations.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ManualLSTMCell(nn.Module):
    """One LSTM step: input, forget, cell and output gates from one matmul."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        # Compute all four gates at once, then split the result.
        self.x2h = nn.Linear(input_size, 4 * hidden_size)
        self.h2h = nn.Linear(hidden_size, 4 * hidden_size, bias=False)

    def forward(self, x, state):
        h, c = state
        gates = self.x2h(x) + self.h2h(h)
        i, f, g, o = gates.chunk(4, dim=-1)
        i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
        g = torch.tanh(g)
        c_next = f * c + i * g  # forget part of the old memory, add new content
        h_next = o * torch.tanh(c_next)
        return h_next, c_next

    def run(self, inputs):
        """Unroll over inputs shaped (batch, time, features)."""
        batch = inputs.size(0)
        h = inputs.new_zeros(batch, self.hidden_size)
        c = inputs.new_zeros(batch, self.hidden_size)
        outputs = []
        for t in range(inputs.size(1)):
            h, c = self(inputs[:, t], (h, c))
            outputs.append(h)
        return torch.stack(outputs, dim=1), (h, c)


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes,
                 num_layers=1, dropout=0.2, bidirectional=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(
            embed_dim,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
        )
        directions = 2 if bidirectional else 1
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * directions, num_classes)

    def forward(self, tokens, lengths):
        embedded = self.embedding(tokens)
        # Packing lets the LSTM skip padding so the final state is meaningful.
        packed = nn.utils.rnn.pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, (h_n, _) = self.lstm(packed)
        if self.lstm.bidirectional:
            last = torch.cat([h_n[-2], h_n[-1]], dim=-1)
        else:
            last = h_n[-1]
        return self.head(self.dropout(last))


def train_epoch(model, loader, optimizer, device, clip=1.0):
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for tokens, lengths, labels in loader:
        tokens, labels = tokens.to(device), labels.to(device)
        optimizer.zero_grad()
        logits = model(tokens, lengths)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        # Clipping keeps exploding gradients in check on long sequences.
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total_loss += loss.item() * labels.size(0)
        correct += (logits.argmax(dim=-1) == labels).sum().item()
        seen += labels.size(0)
    return total_loss / seen, correct / seen


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct, seen = 0, 0
    for tokens, lengths, labels in loader:
        logits = model(tokens.to(device), lengths)
        correct += (logits.argmax(dim=-1) == labels.to(device)).sum().item()
        seen += labels.size(0)
    return correct / max(seen, 1)


def make_toy_dataset(n=512, max_len=20, vocab=50, seed=0):
    """Label is 1 when token 7 occurs in the sequence, else 0."""
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(3, max_len + 1, (n,), generator=gen)
    tokens = torch.zeros(n, max_len, dtype=torch.long)
    for row, length in enumerate(lengths.tolist()):
        tokens[row, :length] = torch.randint(1, vocab, (length,), generator=gen)
    labels = (tokens == 7).any(dim=1).long()
    return TensorDataset(tokens, lengths, labels)


def main():
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(make_toy_dataset(seed=1), batch_size=32, shuffle=True)
    test_loader = DataLoader(make_toy_dataset(n=128, seed=2), batch_size=64)
    model = LSTMClassifier(vocab_size=50, embed_dim=32, hidden_size=64, num_classes=2).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(1, 11):
        loss, acc = train_epoch(model, train_loader, optimizer, device)
        print("epoch %2d  loss %.4f  train acc %.3f  test acc %.3f"
              % (epoch, loss, acc, evaluate(model, test_loader, device)))

    # The hand-written cell produces outputs of the same shape as nn.LSTM.
    cell = ManualLSTMCell(input_size=8, hidden_size=16)
    outputs, (h, c) = cell.run(torch.randn(4, 5, 8))
    assert outputs.shape == (4, 5, 16) and h.shape == c.shape == (4, 16)


if __name__ == "__main__":
    main()
`,
  },
  {
    path: "python/web_scraper.py",
    text: String.raw`"""A polite web scraper: honours robots.txt, rate-limits requests per host,
retries transient failures and extracts HTML tables into dictionaries.

Requires the third-party packages requests and beautifulsoup4.
"""

import time
import urllib.robotparser
from typing import Dict, List, Optional
from urllib.parse import urljoin, urlparse

import requests
from bs4 import BeautifulSoup
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

USER_AGENT = "example-research-bot/0.1 (+https://example.com/bot)"


class RateLimiter:
    """Ensure at least min_interval seconds between calls for each host."""

    def __init__(self, min_interval: float = 1.0) -> None:
        self.min_interval = min_interval
        self._last_call: Dict[str, float] = {}

    def wait(self, host: str) -> None:
        last = self._last_call.get(host)
        if last is not None:
            remaining = self.min_interval - (time.monotonic() - last)
            if remaining > 0:
                time.sleep(remaining)
        self._last_call[host] = time.monotonic()


def make_session(total_retries: int = 3, backoff: float = 0.5) -> requests.Session:
    """Session that retries connection errors and 429/5xx responses."""
    retry = Retry(
        total=total_retries,
        backoff_factor=backoff,  # sleeps 0.5s, 1s, 2s, ...
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET", "HEAD"),
        respect_retry_after_header=True,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": USER_AGENT})
    return session


class Scraper:
    def __init__(self, min_interval: float = 1.0, timeout: float = 10.0) -> None:
        self.session = make_session()
        self.limiter = RateLimiter(min_interval)
        self.timeout = timeout
        self._robots: Dict[str, urllib.robotparser.RobotFileParser] = {}

    def _robots_for(self, url: str) -> urllib.robotparser.RobotFileParser:
        parts = urlparse(url)
        root = "%s://%s" % (parts.scheme, parts.netloc)
        parser = self._robots.get(root)
        if parser is None:
            parser = urllib.robotparser.RobotFileParser()
            try:
                resp = self.session.get(urljoin(root, "/robots.txt"), timeout=self.timeout)
                # A missing robots.txt means everything is allowed.
                lines = resp.text.splitlines() if resp.status_code == 200 else []
            except requests.RequestException:
                lines = []
            parser.parse(lines)
            self._robots[root] = parser
        return parser

    def allowed(self, url: str) -> bool:
        return self._robots_for(url).can_fetch(USER_AGENT, url)

    def fetch(self, url: str) -> Optional[BeautifulSoup]:
        """Download url and parse it, or return None if disallowed."""
        robots = self._robots_for(url)
        if not robots.can_fetch(USER_AGENT, url):
            print("robots.txt disallows", url)
            return None
        delay = robots.crawl_delay(USER_AGENT)
        if delay:
            self.limiter.min_interval = max(self.limiter.min_interval, float(delay))
        self.limiter.wait(urlparse(url).netloc)
        resp = self.session.get(url, timeout=self.timeout)
        resp.raise_for_status()
        return BeautifulSoup(resp.text, "html.parser")


def parse_table(soup: BeautifulSoup, selector: str = "table") -> List[Dict[str, str]]:
    """Turn the first table matching selector into a list of row dicts.

    Header names come from the th cells of the first row; rows with a
    different number of cells than the header are skipped.
    """
    table = soup.select_one(selector)
    if table is None:
        return []
    rows = table.find_all("tr")
    if not rows:
        return []
    headers = [cell.get_text(strip=True) for cell in rows[0].find_all(["th", "td"])]
    records = []
    for row in rows[1:]:
        cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])]
        if len(cells) == len(headers):
            records.append(dict(zip(headers, cells)))
    return records


def absolute_links(soup: BeautifulSoup, base_url: str) -> List[str]:
    """All unique http(s) links on the page, resolved against base_url."""
    seen, links = set(), []
    for anchor in soup.find_all("a", href=True):
        url = urljoin(base_url, anchor["href"]).split("#", 1)[0]
        if urlparse(url).scheme in ("http", "https") and url not in seen:
            seen.add(url)
            links.append(url)
    return links


if __name__ == "__main__":
    html = """
    <table id="prices">
      <tr><th>Item</th><th>Price</th></tr>
      <tr><td>Apple</td><td>0.50</td></tr>
      <tr><td>Pear</td><td>0.75</td></tr>
    </table>
    <a href="/about">About</a> <a href="mailto:hi@example.com">Mail</a>
    """
    page = BeautifulSoup(html, "html.parser")
    print(parse_table(page, "#prices"))
    print(absolute_links(page, "https://example.com/shop/"))
`,
  },
  {
    path: "python/inventory_cli.py",
    text: String.raw`"""Tiny inventory manager: dataclasses for the model, JSON for storage and
argparse sub-commands for the command-line interface.

Example:
    python inventory_cli.py --db stock.json add "USB cable" --qty 12 --price 3.5
    python inventory_cli.py --db stock.json list --sort value
"""

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Dict, List, Optional


@dataclass
class Item:
    name: str
    qty: int = 0
    price: float = 0.0
    tags: List[str] = field(default_factory=list)
    added: str = field(default_factory=lambda: date.today().isoformat())

    def __post_init__(self) -> None:
        if self.qty < 0:
            raise ValueError("quantity cannot be negative")
        if self.price < 0:
            raise ValueError("price cannot be negative")

    @property
    def value(self) -> float:
        return self.qty * self.price


@dataclass
class Inventory:
    items: Dict[str, Item] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Inventory":
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls({name: Item(**data) for name, data in raw.items()})

    def save(self, path: Path) -> None:
        data = {name: asdict(item) for name, item in self.items.items()}
        # Write to a temporary file first so a crash never leaves half a file.
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    def add(self, item: Item) -> None:
        existing = self.items.get(item.name)
        if existing:
            existing.qty += item.qty
            existing.price = item.price or existing.price
            existing.tags = sorted(set(existing.tags) | set(item.tags))
        else:
            self.items[item.name] = item

    def remove(self, name: str, qty: Optional[int] = None) -> None:
        if name not in self.items:
            raise KeyError(name)
        if qty is None or qty >= self.items[name].qty:
            del self.items[name]
        else:
            self.items[name].qty -= qty


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Manage a small JSON inventory.")
    parser.add_argument("--db", type=Path, default=Path("inventory.json"))
    sub = parser.add_subparsers(dest="command", required=True)

    add = sub.add_parser("add", help="add stock (merges with an existing item)")
    add.add_argument("name")
    add.add_argument("--qty", type=int, default=1)
    add.add_argument("--price", type=float, default=0.0)
    add.add_argument("--tag", dest="tags", action="append", default=[])

    rm = sub.add_parser("remove", help="remove stock or a whole item")
    rm.add_argument("name")
    rm.add_argument("--qty", type=int, help="omit to delete the item entirely")

    ls = sub.add_parser("list", help="print the inventory")
    ls.add_argument("--sort", choices=["name", "qty", "value"], default="name")
    ls.add_argument("--tag", help="only show items with this tag")
    return parser


def print_table(items: List[Item]) -> None:
    print("%-24s %6s %9s %10s" % ("name", "qty", "price", "value"))
    for item in items:
        print("%-24s %6d %9.2f %10.2f" % (item.name[:24], item.qty, item.price, item.value))
    print("%-24s %6d %9s %10.2f" % ("TOTAL", sum(i.qty for i in items), "",
                                   sum(i.value for i in items)))


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    inventory = Inventory.load(args.db)
    try:
        if args.command == "add":
            inventory.add(Item(args.name, args.qty, args.price, args.tags))
        elif args.command == "remove":
            inventory.remove(args.name, args.qty)
        elif args.command == "list":
            items = list(inventory.items.values())
            if args.tag:
                items = [i for i in items if args.tag in i.tags]
            key = {"name": lambda i: i.name.lower(), "qty": lambda i: -i.qty,
                   "value": lambda i: -i.value}[args.sort]
            print_table(sorted(items, key=key))
            return 0
    except (KeyError, ValueError) as exc:
        print("error:", exc, file=sys.stderr)
        return 1
    inventory.save(args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
`,
  },
  {
    path: "python/lru_cache.py",
    text: String.raw`"""Least-recently-used caches built on collections.OrderedDict.

LRUCache is a mapping-like container with a size limit; lru_memoize
is a decorator in the spirit of functools.lru_cache that also reports hit and
miss statistics and supports an optional time-to-live for entries.
"""

import functools
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Hashable, Optional


class LRUCache:
    """Fixed-capacity cache; the least recently used entry is evicted first."""

    _MISSING = object()

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._data: "OrderedDict[Hashable, Any]" = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        value = self._data.get(key, self._MISSING)
        if value is self._MISSING:
            self.misses += 1
            return default
        # Reading an entry makes it the most recently used one.
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: Hashable, value: Any) -> None:
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)  # drop the oldest entry

    def __contains__(self, key: Hashable) -> bool:
        # Membership tests deliberately do not refresh recency.
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def keys(self):
        """Keys from least to most recently used."""
        return list(self._data.keys())

    def __repr__(self) -> str:
        return "LRUCache(capacity=%d, size=%d, hits=%d, misses=%d)" % (
            self.capacity, len(self), self.hits, self.misses)


def lru_memoize(maxsize: int = 128, ttl: Optional[float] = None) -> Callable:
    """Memoize a function of hashable arguments with LRU eviction.

    If ttl is given, cached results older than ttl seconds are
    recomputed. The wrapper is safe to call from several threads.
    """

    def decorator(func: Callable) -> Callable:
        cache: "OrderedDict[Hashable, tuple]" = OrderedDict()
        lock = threading.Lock()
        stats = {"hits": 0, "misses": 0}

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items())))
            now = time.monotonic()
            with lock:
                entry = cache.get(key)
                if entry is not None and (ttl is None or now - entry[1] < ttl):
                    cache.move_to_end(key)
                    stats["hits"] += 1
                    return entry[0]
                stats["misses"] += 1
            # Call outside the lock so slow functions do not block other keys.
            result = func(*args, **kwargs)
            with lock:
                cache[key] = (result, now)
                cache.move_to_end(key)
                while len(cache) > maxsize:
                    cache.popitem(last=False)
            return result

        def cache_info() -> dict:
            with lock:
                return dict(stats, size=len(cache), maxsize=maxsize)

        def cache_clear() -> None:
            with lock:
                cache.clear()
                stats.update(hits=0, misses=0)

        wrapper.cache_info = cache_info
        wrapper.cache_clear = cache_clear
        return wrapper

    return decorator


@lru_memoize(maxsize=256)
def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, memoized on suffixes of the two strings."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    if a[0] == b[0]:
        return edit_distance(a[1:], b[1:])
    return 1 + min(edit_distance(a[1:], b), edit_distance(a, b[1:]),
                   edit_distance(a[1:], b[1:]))


if __name__ == "__main__":
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent entry
    cache.put("c", 3)  # evicts "b"
    assert "b" not in cache and cache.keys() == ["a", "c"]
    assert cache.get("b", "gone") == "gone"
    print(cache)

    assert edit_distance("kitten", "sitting") == 3
    print(edit_distance.cache_info())
`,
  },
  {
    path: "python/text_stats.py",
    text: String.raw`"""Simple text statistics: word frequencies, sentence lengths, n-grams and a
Flesch reading-ease estimate. Only the standard library is used.

Usage: python text_stats.py FILE [--top N]
"""

import argparse
import math
import re
import statistics
from collections import Counter
from typing import Dict, Iterable, Iterator, List, Tuple

WORD_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have he her his i in is it its "
    "of on or she that the their they this to was were will with you".split()
)


def words(text: str) -> List[str]:
    return [w.lower() for w in WORD_RE.findall(text)]


def sentences(text: str) -> List[str]:
    """Split on ., ! or ? followed by whitespace and a capital letter or quote."""
    parts = SENTENCE_END_RE.split(text.strip())
    return [p.strip() for p in parts if p.strip()]


def ngrams(tokens: List[str], n: int) -> Iterator[Tuple[str, ...]]:
    return zip(*(tokens[i:] for i in range(n)))


def count_syllables(word: str) -> int:
    """Rough English syllable count: vowel groups, minus a silent final e."""
    word = word.lower()
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups)
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def flesch_reading_ease(text: str) -> float:
    """Higher is easier; 60-70 is roughly plain English."""
    ws = words(text)
    ss = sentences(text)
    if not ws or not ss:
        return 0.0
    syllables = sum(count_syllables(w) for w in ws)
    return 206.835 - 1.015 * (len(ws) / len(ss)) - 84.6 * (syllables / len(ws))


def top_words(tokens: Iterable[str], n: int = 10, skip_stopwords: bool = True):
    counts = Counter(t for t in tokens if not (skip_stopwords and t in STOPWORDS))
    return counts.most_common(n)


def entropy(tokens: List[str]) -> float:
    """Shannon entropy of the word distribution, in bits per word."""
    counts = Counter(tokens)
    total = len(tokens)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def keywords_tfidf(documents: List[str], top: int = 5) -> List[List[Tuple[str, float]]]:
    """Score words per document by TF-IDF and return the best ones for each.

    Words frequent in one document but rare across the collection score high;
    the +1 smoothing keeps words found in every document from scoring zero.
    """
    tokenized = [[w for w in words(doc) if w not in STOPWORDS] for doc in documents]
    doc_freq = Counter(w for tokens in tokenized for w in set(tokens))
    n_docs = len(documents)
    results = []
    for tokens in tokenized:
        tf = Counter(tokens)
        scores = {
            w: (count / len(tokens)) * (math.log((1 + n_docs) / (1 + doc_freq[w])) + 1)
            for w, count in tf.items()
        }
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        results.append([(w, round(score, 4)) for w, score in best])
    return results


def summarize(text: str, top: int = 5) -> Dict[str, object]:
    ws = words(text)
    ss = sentences(text)
    lengths = [len(words(s)) for s in ss] or [0]
    return {
        "characters": len(text),
        "words": len(ws),
        "unique_words": len(set(ws)),
        "type_token_ratio": round(len(set(ws)) / len(ws), 3) if ws else 0.0,
        "sentences": len(ss),
        "mean_sentence_length": round(statistics.mean(lengths), 2),
        "median_sentence_length": statistics.median(lengths),
        "entropy_bits": round(entropy(ws), 3) if ws else 0.0,
        "flesch": round(flesch_reading_ease(text), 1),
        "top_words": top_words(ws, top),
        "top_bigrams": Counter(ngrams(ws, 2)).most_common(top),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="text file (omit for a demo text)")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()
    if args.path:
        with open(args.path, encoding="utf-8") as handle:
            text = handle.read()
    else:
        text = ("The quick brown fox jumps over the lazy dog. The dog sleeps! "
                "Does the fox care? It does not, because the fox is quick.\n\n"
                "Foxes hunt at dusk. A hungry fox listens for mice under the snow.")
    for key, value in summarize(text, args.top).items():
        print("%-24s %s" % (key, value))
    # Treat blank-line separated paragraphs as documents for keyword scoring.
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paragraphs) > 1:
        for i, best in enumerate(keywords_tfidf(paragraphs, args.top), start=1):
            print("paragraph %d keywords: %s" % (i, ", ".join(w for w, _ in best)))


if __name__ == "__main__":
    main()
`,
  },
];
