;; Fused score + top-k candidate scan over one segment matrix in the packed
;; layout of wasm-scan.ts: items in tiles of 32, each tile holding its `rows`
;; rows of 32 floats contiguously, so the scan reads memory as one sequential
;; stream whatever the row count (one stream per row of a dim-major matrix is
;; more than the hardware prefetchers follow: 128 rows ran at 1/7 of the
;; bandwidth).
;;
;; The matrix lives in the memory of tfjs-backend-wasm (imported), so the
;; resident tensors are scored in place: no copy, no score array written back,
;; no readback. For items [from, to) (multiples of 32) of the matrix at $mat:
;;   score(i) = sum_r u[r] * x[r][i]
;; 32 items per step in 8 SIMD accumulators; every item whose score is >= $thr
;; (NaN never is) is appended to $out as (i32 item, f32 score). When $out
;; cannot take another step's worth, the scan stops and returns the item it
;; stopped at, so the caller can tighten $thr and resume.
(module
  (import "env" "memory" (memory 1))
  (global $count (export "count") (mut i32) (i32.const 0))
  (func (export "scan")
    (param $mat i32) (param $rows i32) (param $u i32)
    (param $from i32) (param $to i32) (param $thr f32)
    (param $out i32) (param $cap i32) (param $tmp i32)
    (result i32)
    (local $i i32) (local $p i32) (local $q i32) (local $r i32) (local $w v128) (local $t v128)
    (local $l i32) (local $s f32) (local $o i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (global.set $count (i32.const 0))
    ;; Tile i/32 starts at mat + (i/32) * rows * 128 bytes.
    (local.set $p (i32.add (local.get $mat) (i32.mul (i32.shr_u (local.get $from) (i32.const 5)) (i32.shl (local.get $rows) (i32.const 7)))))
    (local.set $t (f32x4.splat (local.get $thr)))
    (local.set $i (local.get $from))
    (block $done
      (loop $items
        (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $a4 (v128.const i32x4 0 0 0 0))
        (local.set $a5 (v128.const i32x4 0 0 0 0))
        (local.set $a6 (v128.const i32x4 0 0 0 0))
        (local.set $a7 (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $u))
        (local.set $r (local.get $rows))
        (loop $dims
          (local.set $w (v128.load32_splat (local.get $q)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w) (v128.load offset=0 (local.get $p)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w) (v128.load offset=16 (local.get $p)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $w) (v128.load offset=32 (local.get $p)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $w) (v128.load offset=48 (local.get $p)))))
          (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $w) (v128.load offset=64 (local.get $p)))))
          (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $w) (v128.load offset=80 (local.get $p)))))
          (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $w) (v128.load offset=96 (local.get $p)))))
          (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $w) (v128.load offset=112 (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 128)))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $dims (local.get $r)))
        (if (v128.any_true
              (v128.or
                (v128.or
                  (v128.or (f32x4.ge (local.get $a0) (local.get $t)) (f32x4.ge (local.get $a1) (local.get $t)))
                  (v128.or (f32x4.ge (local.get $a2) (local.get $t)) (f32x4.ge (local.get $a3) (local.get $t))))
                (v128.or
                  (v128.or (f32x4.ge (local.get $a4) (local.get $t)) (f32x4.ge (local.get $a5) (local.get $t)))
                  (v128.or (f32x4.ge (local.get $a6) (local.get $t)) (f32x4.ge (local.get $a7) (local.get $t))))))
          (then
            ;; Rare: some item may enter the top-k. Stop first if a full step might not fit.
            (if (i32.gt_u (i32.add (global.get $count) (i32.const 32)) (local.get $cap))
              (then (return (local.get $i))))
            ;; $p is already past this tile; the scores are in the accumulators.
            (v128.store offset=0 (local.get $tmp) (local.get $a0))
            (v128.store offset=16 (local.get $tmp) (local.get $a1))
            (v128.store offset=32 (local.get $tmp) (local.get $a2))
            (v128.store offset=48 (local.get $tmp) (local.get $a3))
            (v128.store offset=64 (local.get $tmp) (local.get $a4))
            (v128.store offset=80 (local.get $tmp) (local.get $a5))
            (v128.store offset=96 (local.get $tmp) (local.get $a6))
            (v128.store offset=112 (local.get $tmp) (local.get $a7))
            (local.set $l (i32.const 0))
            (loop $lanes
              (local.set $s (f32.load (i32.add (local.get $tmp) (i32.shl (local.get $l) (i32.const 2)))))
              (if (f32.ge (local.get $s) (local.get $thr))
                (then
                  (local.set $o (i32.add (local.get $out) (i32.shl (global.get $count) (i32.const 3))))
                  (i32.store (local.get $o) (i32.add (local.get $i) (local.get $l)))
                  (f32.store offset=4 (local.get $o) (local.get $s))
                  (global.set $count (i32.add (global.get $count) (i32.const 1)))))
              (local.set $l (i32.add (local.get $l) (i32.const 1)))
              (br_if $lanes (i32.lt_u (local.get $l) (i32.const 32))))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $items)))
    (local.get $i))
)
