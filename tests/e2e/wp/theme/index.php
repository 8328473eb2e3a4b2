<?php
/**
 * The smallest classic theme: one template running the loop.
 */

declare(strict_types=1);

?><!doctype html>
<html <?php language_attributes(); ?>>
<head><meta charset="<?php bloginfo('charset'); ?>"><title><?php echo esc_html(wp_get_document_title()); ?></title><?php wp_head(); ?></head>
<body>
<?php
while (have_posts()) {
    the_post();
    echo '<article id="post-' . (int) get_the_ID() . '"><h1>' . esc_html(get_the_title()) . '</h1><div class="entry">';
    the_content();
    echo '</div></article>';
}
wp_footer();
?>
</body>
</html>
