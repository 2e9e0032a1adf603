// sample-code.ts — what the Playground's editor starts with: a short Python file with room to complete.
export const SAMPLE_PATH = "example.py";
export const SAMPLE_CODE = `def binary_search(items, target):
    """Return the index of target in the sorted list items, or -1."""
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        elif items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
`;
