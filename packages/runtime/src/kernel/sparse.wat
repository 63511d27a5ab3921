;; The `sparse` table kind's scan (issue 20), spliced into scan.wat (at its
;; `;; #include sparse.wat` line) by scripts/build-kernel.ts: it shares the
;; heap, the threshold and the exclusion bitmap with `run`, so it offers items
;; exactly as the dense path does.
;;
;; A sparse table is CSR with u8 indices, rows in position order (the format's
;; payload as stored, resident as is): row i holds rowNnz[i] entries, each a
;; dimension index (u8) and a value (f32, or the f16 bit patterns widened as
;; scan16 widens them: the half times 2^-112), and
;;   score(i) = Σ_{entries e of row i} coef[index e] · value e.
;; JS writes the coefficients (the user vector, times 2^112 for f16 and the
;; power of two `scale` that keeps them finite), so there is no per-dtype
;; factor here. Two sums per row (entries alternate between them) hide the
;; add latency; a row of no entries scores 0 and is offered like any other.
  (func (export "sparse")
    (param $nnz i32) (param $count i32) (param $idx i32) (param $vals i32) (param $dtype i32)
    (param $coef i32) (param $heap i32) (param $k i32) (param $excl i32)
    (global.set $heap (local.get $heap))
    (global.set $k (local.get $k))
    (global.set $excl (local.get $excl))
    (global.set $size (i32.const 0))
    (global.set $thr (select (f32.const -inf) (f32.const inf) (local.get $k)))
    (if (local.get $dtype)
      (then (call $sparse16 (local.get $nnz) (local.get $count) (local.get $idx) (local.get $vals) (local.get $coef)))
      (else (call $sparse32 (local.get $nnz) (local.get $count) (local.get $idx) (local.get $vals) (local.get $coef)))))

  ;; Rows of f32 values: $nnz row counts (u8), $idx indices (u8), $vals values, $coef f32 coefficients.
  (func $sparse32 (param $nnz i32) (param $count i32) (param $idx i32) (param $vals i32) (param $coef i32)
    (local $i i32) (local $end i32) (local $a f32) (local $b f32)
    (block $rows
      (loop $row
        (br_if $rows (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $end (i32.add (local.get $idx) (i32.load8_u (i32.add (local.get $nnz) (local.get $i)))))
        (local.set $a (f32.const 0))
        (local.set $b (f32.const 0))
        (block $pairs
          (loop $pair
            (br_if $pairs (i32.ge_u (i32.add (local.get $idx) (i32.const 1)) (local.get $end)))
            (local.set $a
              (f32.add (local.get $a)
                (f32.mul (f32.load (i32.add (local.get $coef) (i32.shl (i32.load8_u (local.get $idx)) (i32.const 2)))) (f32.load (local.get $vals)))))
            (local.set $b
              (f32.add (local.get $b)
                (f32.mul (f32.load (i32.add (local.get $coef) (i32.shl (i32.load8_u offset=1 (local.get $idx)) (i32.const 2)))) (f32.load offset=4 (local.get $vals)))))
            (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
            (local.set $vals (i32.add (local.get $vals) (i32.const 8)))
            (br $pair)))
        (if (i32.lt_u (local.get $idx) (local.get $end))
          (then
            (local.set $a
              (f32.add (local.get $a)
                (f32.mul (f32.load (i32.add (local.get $coef) (i32.shl (i32.load8_u (local.get $idx)) (i32.const 2)))) (f32.load (local.get $vals)))))
            (local.set $idx (local.get $end))
            (local.set $vals (i32.add (local.get $vals) (i32.const 4)))))
        (local.set $a (f32.add (local.get $a) (local.get $b)))
        (if (f32.ge (local.get $a) (global.get $thr))
          (then (call $offer (local.get $a) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; $sparse32 over half-precision values (2 bytes each); the coefficients carry 2^112 (see scan.wat's header).
  (func $sparse16 (param $nnz i32) (param $count i32) (param $idx i32) (param $vals i32) (param $coef i32)
    (local $i i32) (local $end i32) (local $a f32) (local $b f32)
    (block $rows
      (loop $row
        (br_if $rows (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $end (i32.add (local.get $idx) (i32.load8_u (i32.add (local.get $nnz) (local.get $i)))))
        (local.set $a (f32.const 0))
        (local.set $b (f32.const 0))
        (block $pairs
          (loop $pair
            (br_if $pairs (i32.ge_u (i32.add (local.get $idx) (i32.const 1)) (local.get $end)))
            (local.set $a
              (f32.add (local.get $a)
                (f32.mul (f32.load (i32.add (local.get $coef) (i32.shl (i32.load8_u (local.get $idx)) (i32.const 2))))
                  (f32.reinterpret_i32 (i32.and (i32.shl (i32.load16_s (local.get $vals)) (i32.const 13)) (i32.const 0x8fffe000))))))
            (local.set $b
              (f32.add (local.get $b)
                (f32.mul (f32.load (i32.add (local.get $coef) (i32.shl (i32.load8_u offset=1 (local.get $idx)) (i32.const 2))))
                  (f32.reinterpret_i32 (i32.and (i32.shl (i32.load16_s offset=2 (local.get $vals)) (i32.const 13)) (i32.const 0x8fffe000))))))
            (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
            (local.set $vals (i32.add (local.get $vals) (i32.const 4)))
            (br $pair)))
        (if (i32.lt_u (local.get $idx) (local.get $end))
          (then
            (local.set $a
              (f32.add (local.get $a)
                (f32.mul (f32.load (i32.add (local.get $coef) (i32.shl (i32.load8_u (local.get $idx)) (i32.const 2))))
                  (f32.reinterpret_i32 (i32.and (i32.shl (i32.load16_s (local.get $vals)) (i32.const 13)) (i32.const 0x8fffe000))))))
            (local.set $idx (local.get $end))
            (local.set $vals (i32.add (local.get $vals) (i32.const 2)))))
        (local.set $a (f32.add (local.get $a) (local.get $b)))
        (if (f32.ge (local.get $a) (global.get $thr))
          (then (call $offer (local.get $a) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))
