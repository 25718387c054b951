-- The development stack's sample procedure catalog (CONTRACT.md section 5).
-- Production loads the national catalog into the same table.
INSERT INTO procedures (ma_tthc, ten_tthc, ma_linh_vuc) VALUES
    ('1.001193', 'Đăng ký khai sinh', 'HT'),
    ('1.001776', 'Trợ cấp xã hội hằng tháng', 'BTXH'),
    ('1.004227', 'Đăng ký biến động đất đai', 'DD'),
    ('1.009994', 'Cấp giấy phép xây dựng nhà ở riêng lẻ', 'XD'),
    ('2.000720', 'Đăng ký thành lập hộ kinh doanh', 'HKD'),
    ('2.000815', 'Chứng thực bản sao từ bản chính', 'CT'),
    ('1.000656', 'Đăng ký kết hôn', 'HT'),
    ('1.001022', 'Đăng ký khai tử', 'HT'),
    ('2.000286', 'Hỗ trợ chi phí mai táng', 'BTXH'),
    ('1.003005', 'Cấp giấy chứng nhận quyền sử dụng đất lần đầu', 'DD')
ON CONFLICT (ma_tthc) DO UPDATE
    SET ten_tthc = EXCLUDED.ten_tthc, ma_linh_vuc = EXCLUDED.ma_linh_vuc,
        updated_at = now();
